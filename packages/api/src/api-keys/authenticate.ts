import { hashToken } from '../auth/tokens.js';
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import type { Platform } from '../core/platform.js';

export const API_KEY_PREFIX = 'sk-';
const MAX_API_KEY_LENGTH = 200;

export function isApiKeyToken(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

/**
 * Resolves an `sk-…` key to the actor it acts for: its owner, with the owner's current role.
 * Unknown, revoked and expired keys, and keys of disabled owners, answer 401. On the hot path:
 * served from the cache, and the last_used_at write never delays the request.
 */
export async function authenticateApiKey(platform: Platform, token: string): Promise<Actor> {
  if (token.length > MAX_API_KEY_LENGTH) throw new AppError('UNAUTHORIZED', { message: 'API_KEY_INVALID' });
  const cache = platform.apiKeys;
  const key = await cache.identify(hashToken(token));
  if (!key) throw new AppError('UNAUTHORIZED', { message: 'API_KEY_INVALID' });
  if (key.expiresAtMs !== null && key.expiresAtMs <= Date.now()) throw new AppError('UNAUTHORIZED', { message: 'API_KEY_EXPIRED' });

  if (cache.claimLastUsedWrite(key.apiKeyId)) {
    const { db } = platform;
    // Losing one last_used_at write is harmless, so a single attempt; the WHERE keeps other
    // instances from rewriting the row more than once a minute as well.
    platform.background.run(
      'api-key-last-used',
      () =>
        db
          .updateTable('api_keys')
          .set({ last_used_at: new Date() })
          .where('id', '=', key.apiKeyId)
          .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', new Date(Date.now() - 55_000))]))
          .execute(),
      1,
    );
  }
  return { userId: key.userId, role: key.role, sessionId: null, apiKeyId: key.apiKeyId };
}
