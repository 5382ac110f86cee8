import type { Database, User } from '@maas/db';
import { type Kysely, sql } from 'kysely';
import type { z } from 'zod';
import { conflictFromUniqueViolation, revokeUserSessions } from '../auth/service.js';
import { admitLoginAttempt } from '../auth/login-limits.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import { containsPattern } from '../core/like.js';
import { listPage } from '../core/pagination.js';
import { type PlaceholderOf, queryTemplate } from '../core/query-template.js';
import type { Platform } from '../core/platform.js';
import { toUserProfile } from './profile.js';
import type { AdminUpdateUserInput, ChangePasswordInput, ListUsersInput, UpdateProfileInput } from './schemas.js';

function toAdminUser(user: User) {
  return { ...toUserProfile(user), disabled: user.disabled_at !== null };
}

// Compiled once (core/query-template.ts): the profile is read on every dashboard page.
const USER_BY_ID = queryTemplate((db, placeholder: PlaceholderOf<{ id: string }>) =>
  db.selectFrom('users').selectAll().where('id', '=', placeholder('id')),
);

async function findUser(db: Kysely<Database>, userId: string): Promise<User> {
  const user = await USER_BY_ID.executeTakeFirst(db, { id: userId });
  if (!user) throw new AppError('NOT_FOUND');
  return user;
}

export async function getProfile(db: Kysely<Database>, actor: Actor) {
  return toUserProfile(await findUser(db, actor.userId));
}

export async function updateProfile(db: Kysely<Database>, actor: Actor, input: z.infer<typeof UpdateProfileInput>) {
  const changes = {
    ...(input.username !== undefined ? { username: input.username } : {}),
    ...(input.email !== undefined ? { email: input.email.toLowerCase() } : {}),
    ...(input.avatar !== undefined ? { avatar: input.avatar } : {}),
  };
  if (Object.keys(changes).length === 0) return getProfile(db, actor);
  try {
    const user = await db
      .updateTable('users')
      .set({ ...changes, updated_at: new Date() })
      .where('id', '=', actor.userId)
      .returningAll()
      .executeTakeFirst();
    if (!user) throw new AppError('NOT_FOUND');
    return toUserProfile(user);
  } catch (error) {
    throw conflictFromUniqueViolation(error) ?? error;
  }
}

/**
 * Changes the password and signs out every other session of the user. Guesses at the current
 * password (from a stolen access token, say) spend the same budget as failed sign-ins.
 */
export async function changePassword(platform: Platform, actor: Actor, input: z.infer<typeof ChangePasswordInput>, client: { ip: string }) {
  const user = await findUser(platform.db, actor.userId);
  const attempt = await admitLoginAttempt(platform.rateLimits.login, user.id, client.ip);
  if (!(await verifyPassword(user.password_hash, input.current_password))) {
    throw new AppError('INVALID_REQUEST', { message: 'WRONG_CURRENT_PASSWORD', details: { field: 'current_password' } });
  }
  await attempt.succeeded();
  const passwordHash = await hashPassword(input.new_password);
  await platform.db.updateTable('users').set({ password_hash: passwordHash, updated_at: new Date() }).where('id', '=', user.id).execute();
  const revoked = await revokeUserSessions(platform, user.id, 'password_changed', actor.sessionId);
  return { updated: true as const, revoked_sessions: revoked };
}

export async function listUsers(db: Kysely<Database>, input: z.infer<typeof ListUsersInput>) {
  let query = db.selectFrom('users');
  if (input.role) query = query.where('role', '=', input.role);
  if (input.search) {
    const pattern = containsPattern(input.search);
    query = query.where((eb) => eb.or([eb(sql`lower(username)`, 'like', pattern), eb(sql`lower(email)`, 'like', pattern)]));
  }
  return listPage(input, { rows: query.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc'), count: query }, toAdminUser);
}

/** Role changes and disabling take effect on the user's next request (the auth caches are cleared). */
export async function adminUpdateUser(platform: Platform, actor: Actor, input: z.infer<typeof AdminUpdateUserInput>) {
  if (input.user_id === actor.userId && (input.role !== undefined || input.disabled !== undefined)) {
    throw new AppError('INVALID_REQUEST', { message: 'CANNOT_CHANGE_OWN_ROLE' });
  }
  const target = await findUser(platform.db, input.user_id);
  const changes = {
    ...(input.role !== undefined ? { role: input.role } : {}),
    ...(input.disabled !== undefined ? { disabled_at: input.disabled ? (target.disabled_at ?? new Date()) : null } : {}),
  };
  const updated = await platform.db
    .updateTable('users')
    .set({ ...changes, updated_at: new Date() })
    .where('id', '=', target.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (input.disabled) await revokeUserSessions(platform, target.id, 'user_disabled');
  // Both caches hold the user's role and enabled state: API keys act with the owner's current
  // role and die with a disabled owner, on this instance at once and elsewhere on the broadcast.
  platform.sessions.clear();
  platform.apiKeys.clear();
  platform.invalidations.broadcast({ kind: 'identities' });
  return toAdminUser(updated);
}
