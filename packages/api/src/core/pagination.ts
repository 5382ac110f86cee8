import { z } from 'zod';

/** `page` defaults to 1 and `limit` to 20 (max 100); out-of-range values are a 400, not clamped. */
export const PageInput = z.object({
  page: z.coerce.number<number>().int().min(1).max(1_000_000).default(1),
  limit: z.coerce.number<number>().int().min(1).max(100).default(20),
});
export type PageInput = z.infer<typeof PageInput>;

export const Pagination = z.object({
  page: z.number().int(),
  limit: z.number().int(),
  total: z.number().int(),
  pages: z.number().int(),
});

/** `{data, pagination}` list shape of the contract, for any item schema. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), pagination: Pagination });
}

export function pageOffset(input: PageInput): number {
  return (input.page - 1) * input.limit;
}

export function toPage<T>(data: T[], total: number, input: PageInput) {
  return {
    data,
    pagination: { page: input.page, limit: input.limit, total, pages: Math.ceil(total / input.limit) },
  };
}
