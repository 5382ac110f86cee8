import type { Actor } from '../core/context.js';
import type { Platform } from '../core/platform.js';
import { operationsOf } from '../models/operations.js';

/** `GET /v1/models`: active models the caller may call (every operation: chat, embeddings, …), in OpenAI's list shape. */
export async function listModelsForGateway(platform: Platform, actor: Actor) {
  const rows = await platform.db
    .selectFrom('models')
    .select(['id', 'name', 'owner_id', 'created_at', 'category', 'operations'])
    .where('status', '=', 'active')
    .where((eb) => eb.or([eb('visibility', '=', 'public'), eb('owner_id', '=', actor.userId)]))
    .orderBy('name')
    .limit(1_000)
    .execute();
  return rows.map((row) => ({
    id: row.name,
    object: 'model' as const,
    created: Math.floor(row.created_at.getTime() / 1000),
    owned_by: row.owner_id === actor.userId ? 'you' : 'maas',
    model_id: row.id,
    /** What it can be called for (an extension of OpenAI's shape): which /v1 endpoint takes it. */
    operations: operationsOf(row),
  }));
}
