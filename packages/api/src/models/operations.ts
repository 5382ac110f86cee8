import type { ModelCategory, ModelOperation } from '@maas/db';
import { type RawBuilder, sql } from 'kysely';
import { z } from 'zod';

// Issue 14 part 1: what a model can be called for. A model stores its own list, or none (null), in
// which case its category decides. One map, used both to show a model and to filter the list in SQL.

export const MODEL_OPERATIONS = [
  'chat',
  'embeddings',
  'image_generation',
  'image_edit',
  'speech',
  'transcription',
  'video_generation',
] as const satisfies readonly ModelOperation[];

export const ModelOperationSchema = z.enum(MODEL_OPERATIONS).meta({ id: 'ModelOperation' });

/** Operations of a model that sets none. Embeddings models say so explicitly (category text, operations ['embeddings']). */
export const DEFAULT_OPERATIONS: Record<ModelCategory, readonly ModelOperation[]> = {
  text: ['chat'],
  image: ['image_generation', 'image_edit'],
  audio: ['speech', 'transcription'],
  video: ['video_generation'],
};

/** The model's effective operations, in the canonical order. */
export function operationsOf(row: { category: ModelCategory; operations: readonly ModelOperation[] | null }): ModelOperation[] {
  const declared = row.operations ?? DEFAULT_OPERATIONS[row.category];
  return MODEL_OPERATIONS.filter((op) => declared.includes(op));
}

/** The stored form: a JSON array without duplicates, in canonical order. */
export function operationsColumn(operations: readonly ModelOperation[] | null): string | null {
  return operations === null ? null : JSON.stringify(MODEL_OPERATIONS.filter((op) => operations.includes(op)));
}

/** SQL: whether a `models` row can do `operation` (its own list, else its category's default). */
export function canDoSql(operation: ModelOperation): RawBuilder<boolean> {
  const categories = (Object.keys(DEFAULT_OPERATIONS) as ModelCategory[]).filter((c) => DEFAULT_OPERATIONS[c].includes(operation));
  const byCategory = categories.length === 0 ? sql`false` : sql`category IN (${sql.join(categories)})`;
  return sql<boolean>`(CASE WHEN operations IS NULL THEN ${byCategory} ELSE operations @> ${JSON.stringify([operation])}::jsonb END)`;
}
