import type { Database, Provider, ProviderKind } from '@maas/db';
import { type Kysely, sql } from 'kysely';
import type { z } from 'zod';
import type { Actor } from '../core/context.js';
import { isForeignKeyViolation, uniqueViolation } from '../core/db-errors.js';
import { AppError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { listPage } from '../core/pagination.js';
import type { Platform } from '../core/platform.js';
import { toIso } from '../core/time.js';
import { nanoToAmount } from '../core/money.js';
import { assertResolvesPublic, isBuiltinKind, normalizeBaseUrl } from './base-url.js';
import type { CreateProviderInput, ListProvidersInput, UpdateProviderInput } from './schemas.js';
import { encryptSecret } from './secrets.js';

/** The API face of a provider: the key is never returned, only whether there is one. */
function toProvider(row: Provider) {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    base_url: row.base_url,
    has_api_key: row.api_key_encrypted !== null,
    timeout_ms: row.timeout_ms,
    priority: row.priority,
    weight: row.weight,
    enabled: row.enabled,
    min_price: { input_tokens: nanoToAmount(row.min_input_nano_per_token), output_tokens: nanoToAmount(row.min_output_nano_per_token) },
    options: row.options,
    created_at: toIso(row.created_at),
    updated_at: toIso(row.updated_at),
  };
}

function conflictOrThrow(error: unknown): never {
  if (uniqueViolation(error) !== null) {
    throw new AppError('CONFLICT', { message: 'PROVIDER_NAME_TAKEN', details: { field: 'name' } });
  }
  throw error;
}

async function findProvider(db: Kysely<Database>, providerId: string): Promise<Provider> {
  const row = await db.selectFrom('providers').selectAll().where('id', '=', providerId).executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND', { message: 'PROVIDER_NOT_FOUND' });
  return row;
}

export async function listProviders(db: Kysely<Database>, input: z.infer<typeof ListProvidersInput>) {
  const query = db.selectFrom('providers');
  return listPage(input, { rows: query.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc'), count: query }, toProvider);
}

/** The stored row (API key still encrypted), for the connection test; 404 when missing. */
export function getProviderRow(db: Kysely<Database>, providerId: string): Promise<Provider> {
  return findProvider(db, providerId);
}

export async function getProvider(db: Kysely<Database>, providerId: string) {
  return toProvider(await findProvider(db, providerId));
}

export async function createProvider(platform: Platform, actor: Actor | null, input: z.infer<typeof CreateProviderInput>) {
  const id = newId('prov');
  const baseUrl = normalizeBaseUrl(input.base_url, input.kind, platform.config.allowPrivateUpstreams);
  await assertResolvesPublic(baseUrl, platform.outbound);
  const apiKey = input.api_key ? encryptSecret(platform.config, input.api_key, id) : null;
  try {
    const row = await platform.db
      .insertInto('providers')
      .values({
        id,
        name: input.name,
        kind: input.kind,
        base_url: baseUrl,
        api_key_encrypted: apiKey,
        timeout_ms: input.timeout_ms,
        priority: input.priority,
        weight: input.weight,
        enabled: input.enabled,
        min_input_nano_per_token: input.min_price?.input_tokens ?? 0n,
        min_output_nano_per_token: input.min_price?.output_tokens ?? 0n,
        options: JSON.stringify(input.options ?? {}),
        created_by: actor?.userId ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    platform.catalog.markChanged();
    return toProvider(row);
  } catch (error) {
    conflictOrThrow(error);
  }
}

type ProviderChanges = Omit<z.infer<typeof UpdateProviderInput>, 'provider_id'>;

export async function updateProvider(platform: Platform, providerId: string, input: ProviderChanges) {
  const current = await findProvider(platform.db, providerId);
  const kind: ProviderKind = input.kind ?? current.kind;
  const baseUrlChanged = input.base_url !== undefined || kind !== current.kind;
  const changes = {
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.kind !== undefined ? { kind: input.kind } : {}),
    ...(baseUrlChanged
      ? {
          base_url: normalizeBaseUrl(
            input.base_url ?? (isBuiltinKind(kind) || isBuiltinKind(current.kind) ? undefined : current.base_url),
            kind,
            platform.config.allowPrivateUpstreams,
          ),
        }
      : {}),
    ...(input.api_key !== undefined
      ? { api_key_encrypted: input.api_key === null ? null : encryptSecret(platform.config, input.api_key, current.id) }
      : {}),
    ...(input.timeout_ms !== undefined ? { timeout_ms: input.timeout_ms } : {}),
    ...(input.priority !== undefined ? { priority: input.priority } : {}),
    ...(input.weight !== undefined ? { weight: input.weight } : {}),
    ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
    ...(input.min_price !== undefined
      ? { min_input_nano_per_token: input.min_price.input_tokens, min_output_nano_per_token: input.min_price.output_tokens }
      : {}),
    ...(input.options !== undefined ? { options: JSON.stringify(input.options) } : {}),
  };
  if (Object.keys(changes).length === 0) return toProvider(current);
  if (changes.base_url) await assertResolvesPublic(changes.base_url, platform.outbound);
  try {
    const row = await platform.db
      .updateTable('providers')
      .set({ ...changes, updated_at: new Date() })
      .where('id', '=', current.id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new AppError('NOT_FOUND', { message: 'PROVIDER_NOT_FOUND' });
    platform.catalog.markChanged();
    return toProvider(row);
  } catch (error) {
    conflictOrThrow(error);
  }
}

/** Refused with 409 while a model still routes to the provider (the foreign key is the arbiter). */
export async function deleteProvider(platform: Platform, providerId: string) {
  await findProvider(platform.db, providerId);
  try {
    await platform.db.deleteFrom('providers').where('id', '=', providerId).execute();
  } catch (error) {
    if (!isForeignKeyViolation(error)) throw error;
    const models = await platform.db
      .selectFrom('model_routes')
      .select('model_id')
      .distinct()
      .where('provider_id', '=', providerId)
      .limit(20)
      .execute();
    throw new AppError('CONFLICT', { message: 'PROVIDER_IN_USE', details: { model_ids: models.map((m) => m.model_id) } });
  }
  platform.catalog.markChanged();
  return { id: providerId, deleted: true as const };
}

async function findProviderIdByName(db: Kysely<Database>, name: string): Promise<string | null> {
  const row = await db
    .selectFrom('providers')
    .select('id')
    .where(sql`lower(name)`, '=', name.toLowerCase())
    .executeTakeFirst();
  return row?.id ?? null;
}

/**
 * Creates the provider, or updates the one with the same name (case-insensitive): how MAAS_PROVIDERS
 * and the demo seed keep providers in step with their definition at every start.
 */
export async function upsertProviderByName(platform: Platform, input: z.infer<typeof CreateProviderInput>): Promise<string> {
  const existingId = await findProviderIdByName(platform.db, input.name);
  if (existingId) {
    const { name: _sameName, ...changes } = input;
    await updateProvider(platform, existingId, changes);
    return existingId;
  }
  try {
    return (await createProvider(platform, null, input)).id;
  } catch (error) {
    // Another instance starting at the same time created it first.
    const createdMeanwhile =
      error instanceof AppError && error.appCode === 'CONFLICT' ? await findProviderIdByName(platform.db, input.name) : null;
    if (!createdMeanwhile) throw error;
    return createdMeanwhile;
  }
}
