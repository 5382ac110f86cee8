import type { Platform } from '@maas/api';
import { sql } from 'kysely';
import { CliError } from './errors.js';

export interface UserRef {
  id: string;
  username: string;
  email: string;
  role: 'user' | 'developer' | 'admin';
}

/** `--user` takes an id (`user_…`), a username or an email; names and emails match case-insensitively. */
export async function findUser(platform: Platform, ref: string): Promise<UserRef> {
  const needle = ref.trim().toLowerCase();
  const user = await platform.db
    .selectFrom('users')
    .select(['id', 'username', 'email', 'role'])
    .where((eb) => eb.or([eb('id', '=', ref.trim()), eb(sql`lower(username)`, '=', needle), eb(sql`lower(email)`, '=', needle)]))
    .executeTakeFirst();
  if (!user) throw new CliError(`no user with id, username or email "${ref}"`);
  return user;
}
