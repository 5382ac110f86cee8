import type { TRPCRequestOptions } from '@trpc/client';

/** What every list procedure answers: `{ data, pagination }`. */
export interface PageLike<TItem> {
  data: TItem[];
  pagination: { page: number; pages: number };
}

type ListCall<TInput, TItem> = (input: TInput, options?: TRPCRequestOptions) => Promise<PageLike<TItem>>;

type Lister<TInput, TItem> = ListCall<TInput, TItem> | { query: ListCall<TInput, TItem> };

/** A tRPC procedure (`client.x.list`) is itself a callable proxy, so it is told apart by `.query`. */
function isProcedure<TInput, TItem>(list: Lister<TInput, TItem>): list is { query: ListCall<TInput, TItem> } {
  return typeof Reflect.get(list, 'query') === 'function';
}

export interface PaginateOptions {
  /** Stops the iteration (and the request in flight). */
  signal?: AbortSignal;
  /** Per-call options (timeout, retries…) for each page request. */
  context?: Record<string, unknown>;
}

/**
 * Yields every item of a list procedure, fetching page after page on demand:
 *
 * ```ts
 * for await (const user of paginate(client.adminUsers.list, { limit: 100, role: 'admin' })) …
 * ```
 *
 * `list` is a procedure (`client.x.list`) or any function taking the input and returning a page.
 * Iteration starts at `input.page` (default 1) and ends after the last page.
 */
export async function* paginate<TInput extends { page?: unknown }, TItem>(
  list: Lister<TInput, TItem>,
  input: Omit<TInput, 'page'> & { page?: number },
  options: PaginateOptions = {},
): AsyncGenerator<TItem, void, undefined> {
  const call: ListCall<TInput, TItem> = isProcedure(list) ? (pageInput, callOptions) => list.query(pageInput, callOptions) : list;
  const requestOptions: TRPCRequestOptions = {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.context ? { context: options.context } : {}),
  };
  let page = input.page ?? 1;
  for (;;) {
    // The list input with `page` set; TypeScript cannot prove a spread of Omit<T, 'page'> is a T.
    const result = await call({ ...input, page } as unknown as TInput, requestOptions);
    yield* result.data;
    if (result.data.length === 0 || page >= result.pagination.pages) return;
    page += 1;
  }
}
