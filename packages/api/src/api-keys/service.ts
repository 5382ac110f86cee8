import type { ApiKey as ApiKeyRow, Database } from '@maas/db';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import { hashToken } from '../auth/tokens.js';
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import { newId, randomSecret } from '../core/ids.js';
import { nanoToAmount } from '../core/money.js';
import { listPage } from '../core/pagination.js';
import type { Platform } from '../core/platform.js';
import { toIso, toIsoOrNull } from '../core/time.js';
import { API_KEY_PREFIX } from './authenticate.js';
import type { ApiKeyPolicy } from './cache.js';
import type { CreateApiKeyInput, ListApiKeysInput, RevokeApiKeyInput } from './schemas.js';

export type { ApiKeyPolicy } from './cache.js';

/** `sk-` + 4 characters: enough to tell keys apart in a list, far too little to guess the rest. */
const VISIBLE_PREFIX_LENGTH = API_KEY_PREFIX.length + 4;

function toApiKey(row: ApiKeyRow, now = Date.now()) {
  return {
    id: row.id,
    name: row.name,
    prefix: `${row.prefix}…`,
    status: row.expires_at && row.expires_at.getTime() <= now ? ('expired' as const) : ('active' as const),
    allowed_models: row.allowed_models,
    allowed_tools: row.allowed_tools,
    spend_cap: row.spend_cap_nano === null ? null : nanoToAmount(row.spend_cap_nano),
    spent: nanoToAmount(row.spent_nano),
    expires_at: toIsoOrNull(row.expires_at),
    last_used_at: toIsoOrNull(row.last_used_at),
    created_at: toIso(row.created_at),
  };
}

/**
 * A key acting for a user must not mint or revoke keys: a capped or model-restricted key could
 * otherwise give itself an unrestricted sibling.
 */
function assertSignedIn(actor: Actor): void {
  if (actor.apiKeyId !== null) throw new AppError('FORBIDDEN', { message: 'API_KEY_MANAGEMENT_NEEDS_SIGN_IN' });
}

/** Creates a key; the full `sk-…` value is returned here only, the database keeps its SHA-256. */
export async function createApiKey(db: Kysely<Database>, actor: Actor, input: z.infer<typeof CreateApiKeyInput>) {
  assertSignedIn(actor);
  const expiresAt = input.expires_at ? new Date(input.expires_at) : null;
  if (expiresAt && expiresAt.getTime() <= Date.now()) {
    throw new AppError('INVALID_REQUEST', { message: 'API_KEY_EXPIRY_IN_PAST', details: { field: 'expires_at' } });
  }
  const key = `${API_KEY_PREFIX}${randomSecret(24)}`;
  const allowedModels = input.allowed_models ? [...new Set(input.allowed_models)] : null;
  const allowedTools = input.allowed_tools ? [...new Set(input.allowed_tools)] : null;
  const row = await db
    .insertInto('api_keys')
    .values({
      id: newId('key'),
      user_id: actor.userId,
      name: input.name,
      key_hash: hashToken(key),
      prefix: key.slice(0, VISIBLE_PREFIX_LENGTH),
      allowed_models: allowedModels ? JSON.stringify(allowedModels) : null,
      allowed_tools: allowedTools ? JSON.stringify(allowedTools) : null,
      spend_cap_nano: input.spend_cap ?? null,
      expires_at: expiresAt,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { ...toApiKey(row), key };
}

/** The caller's keys that are not revoked, newest first. The key itself is never shown again. */
export async function listApiKeys(db: Kysely<Database>, actor: Actor, input: z.infer<typeof ListApiKeysInput>) {
  const query = db.selectFrom('api_keys').where('user_id', '=', actor.userId).where('revoked_at', 'is', null);
  const now = Date.now();
  return listPage(input, { rows: query.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc'), count: query }, (row) =>
    toApiKey(row, now),
  );
}

/** Revokes one of the caller's keys. Another user's key answers 404, as an unknown one does. */
export async function revokeApiKey(platform: Platform, actor: Actor, input: z.infer<typeof RevokeApiKeyInput>) {
  assertSignedIn(actor);
  const revoked = await platform.db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('id', '=', input.key_id)
    .where('user_id', '=', actor.userId)
    .where('revoked_at', 'is', null)
    .returning(['id', 'key_hash'])
    .executeTakeFirst();
  if (!revoked) throw new AppError('NOT_FOUND', { message: 'API_KEY_NOT_FOUND' });
  // Effective at once here, and on the other instances as soon as the broadcast reaches them.
  platform.apiKeys.forget(revoked.key_hash, revoked.id);
  platform.invalidations.broadcast({ kind: 'api-key', keyHash: revoked.key_hash, apiKeyId: revoked.id });
  return { id: revoked.id, revoked: true as const };
}

/**
 * The limits of a key for a model call (cached for the short TTL). `spentNano` may lag by that
 * TTL; the spend cap itself is enforced atomically by `reserveFunds`.
 */
export async function getApiKeyPolicy(platform: Platform, apiKeyId: string): Promise<ApiKeyPolicy> {
  const policy = await platform.apiKeys.policy(apiKeyId);
  if (!policy) throw new AppError('UNAUTHORIZED', { message: 'API_KEY_INVALID' });
  return policy;
}
