import type { Database, User } from '@maas/db';
import { type Kysely, sql } from 'kysely';
import type { z } from 'zod';
import { openWallet } from '../billing/wallet.js';
import { uniqueViolation } from '../core/db-errors.js';
import { AppError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Platform } from '../core/platform.js';
import { toUserProfile } from '../users/profile.js';
import { admitLoginAttempt } from './login-limits.js';
import { hashPassword, verifyPassword } from './passwords.js';
import type { RefreshInput, RegisterInput, TokenInput, TokenPair } from './schemas.js';
import { hashToken, newRefreshToken, signAccessToken } from './tokens.js';

type TokenPairResult = z.infer<typeof TokenPair>;

/** Maps a unique violation on users to the contract's 409 with the field that clashed. */
export function conflictFromUniqueViolation(error: unknown): AppError | null {
  const constraint = uniqueViolation(error);
  if (constraint === null) return null;
  if (constraint.includes('email')) return new AppError('CONFLICT', { message: 'EMAIL_TAKEN', details: { field: 'email' } });
  return new AppError('CONFLICT', { message: 'USERNAME_TAKEN', details: { field: 'username' } });
}

export async function registerUser(platform: Platform, input: z.infer<typeof RegisterInput>, role: User['role'] = 'user') {
  const passwordHash = await hashPassword(input.password);
  try {
    const user = await platform.db.transaction().execute(async (trx) => {
      const created = await trx
        .insertInto('users')
        .values({ id: newId('user'), username: input.username, email: input.email.toLowerCase(), password_hash: passwordHash, role })
        .returningAll()
        .executeTakeFirstOrThrow();
      await openWallet(trx, created.id, platform.config.signupCreditNano);
      return created;
    });
    return toUserProfile(user);
  } catch (error) {
    throw conflictFromUniqueViolation(error) ?? error;
  }
}

async function findUserByLogin(db: Kysely<Database>, login: string): Promise<User | undefined> {
  const normalized = login.toLowerCase();
  return db
    .selectFrom('users')
    .selectAll()
    .where((eb) => eb.or([eb(sql`lower(username)`, '=', normalized), eb(sql`lower(email)`, '=', normalized)]))
    .executeTakeFirst();
}

async function issueTokens(
  platform: Platform,
  user: Pick<User, 'id' | 'role'>,
  sessionId: string,
  refreshToken: string,
): Promise<TokenPairResult> {
  const ttl = platform.config.accessTokenTtlSeconds;
  const accessToken = await signAccessToken(platform.jwtKey, { userId: user.id, role: user.role, sessionId }, ttl);
  return { access_token: accessToken, token_type: 'Bearer', expires_in: ttl, refresh_token: refreshToken };
}

/**
 * Password login with username or email. Unknown user and wrong password are indistinguishable,
 * and so are their budgets of attempts: an unknown name is counted by the name itself.
 */
export async function login(platform: Platform, input: z.infer<typeof TokenInput>, client: { ip: string }): Promise<TokenPairResult> {
  const user = await findUserByLogin(platform.db, input.username);
  // Admitted before argon2 runs: a refused guess costs a lookup, not a hash.
  const attempt = await admitLoginAttempt(platform.rateLimits.login, user?.id ?? `login:${input.username.toLowerCase()}`, client.ip);
  const passwordOk = await verifyPassword(user?.password_hash ?? null, input.password);
  if (!user || !passwordOk) throw new AppError('UNAUTHORIZED', { message: 'INVALID_CREDENTIALS' });
  await attempt.succeeded();
  if (user.disabled_at) throw new AppError('FORBIDDEN', { message: 'ACCOUNT_DISABLED' });

  const sessionId = newId('sess');
  const refreshToken = newRefreshToken();
  const now = new Date();
  await platform.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('sessions')
      .values({
        id: sessionId,
        user_id: user.id,
        expires_at: new Date(now.getTime() + platform.config.refreshTokenTtlSeconds * 1000),
      })
      .execute();
    await trx
      .insertInto('refresh_tokens')
      .values({ token_hash: hashToken(refreshToken), session_id: sessionId })
      .execute();
    await trx.updateTable('users').set({ last_login: now }).where('id', '=', user.id).execute();
  });
  return issueTokens(platform, user, sessionId, refreshToken);
}

/**
 * Rotates the refresh token. The UPDATE … WHERE rotated_at IS NULL makes rotation single-use even
 * under concurrent calls; presenting a token that was already rotated means it leaked, so the
 * whole session is revoked.
 */
export async function refresh(platform: Platform, input: z.infer<typeof RefreshInput>): Promise<TokenPairResult> {
  const tokenHash = hashToken(input.refresh_token);
  const invalid = () => new AppError('UNAUTHORIZED', { message: 'REFRESH_TOKEN_INVALID' });

  const rotated = await platform.db
    .updateTable('refresh_tokens')
    .set({ rotated_at: new Date() })
    .where('token_hash', '=', tokenHash)
    .where('rotated_at', 'is', null)
    .returning('session_id')
    .executeTakeFirst();

  if (!rotated) {
    const known = await platform.db
      .selectFrom('refresh_tokens')
      .select('session_id')
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    if (known) await revokeSession(platform, known.session_id, 'refresh_token_reuse');
    throw invalid();
  }

  const session = await platform.db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['sessions.id', 'sessions.revoked_at', 'sessions.expires_at', 'users.id as user_id', 'users.role', 'users.disabled_at'])
    .where('sessions.id', '=', rotated.session_id)
    .executeTakeFirst();
  if (!session || session.revoked_at || session.expires_at <= new Date() || session.disabled_at) throw invalid();

  const refreshToken = newRefreshToken();
  await platform.db
    .insertInto('refresh_tokens')
    .values({ token_hash: hashToken(refreshToken), session_id: session.id })
    .execute();
  return issueTokens(platform, { id: session.user_id, role: session.role }, session.id, refreshToken);
}

export async function revokeSession(platform: Platform, sessionId: string, reason: string): Promise<void> {
  await platform.db
    .updateTable('sessions')
    .set({ revoked_at: new Date(), revoked_reason: reason })
    .where('id', '=', sessionId)
    .where('revoked_at', 'is', null)
    .execute();
  platform.sessions.forget(sessionId);
  platform.invalidations.broadcast({ kind: 'sessions', ids: [sessionId] });
}

/** Revokes every live session of a user except `keepSessionId`; returns how many were revoked. */
export async function revokeUserSessions(
  platform: Platform,
  userId: string,
  reason: string,
  keepSessionId: string | null = null,
): Promise<number> {
  let query = platform.db
    .updateTable('sessions')
    .set({ revoked_at: new Date(), revoked_reason: reason })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null);
  if (keepSessionId) query = query.where('id', '!=', keepSessionId);
  const revoked = await query.returning('id').execute();
  for (const { id } of revoked) platform.sessions.forget(id);
  if (revoked.length > 0) platform.invalidations.broadcast({ kind: 'sessions', ids: revoked.map(({ id }) => id) });
  return revoked.length;
}
