import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { hashPassword } from '../auth/passwords.js';
import { registerUser } from '../auth/service.js';
import { randomSecret } from '../core/ids.js';
import type { Platform } from '../core/platform.js';

/** MAAS_ADMIN_EMAIL + MAAS_ADMIN_PASSWORD create the admin, or make the existing account an admin with that password. */
export async function ensureAdmin(platform: Platform): Promise<void> {
  const { adminEmail, adminPassword } = platform.config;
  if (!adminEmail || !adminPassword) return;
  const email = adminEmail.toLowerCase();
  const existing = await platform.db
    .selectFrom('users')
    .select('id')
    .where(sql`lower(email)`, '=', email)
    .executeTakeFirst();
  if (!existing) {
    const username =
      email
        .split('@')[0]
        ?.replace(/[^A-Za-z0-9_.-]/g, '_')
        .slice(0, 32) || 'admin';
    const taken = await platform.db
      .selectFrom('users')
      .select('id')
      .where(sql`lower(username)`, '=', username.toLowerCase())
      .executeTakeFirst();
    await registerUser(
      platform,
      { username: taken ? `admin_${Date.now()}` : username.padEnd(3, '_'), email, password: adminPassword },
      'admin',
    );
    return;
  }
  await platform.db
    .updateTable('users')
    .set({ role: 'admin', password_hash: await hashPassword(adminPassword), disabled_at: null, updated_at: new Date() })
    .where('id', '=', existing.id)
    .execute();
}

/** The admin created at a first start, shown once in the start banner. */
export interface InitialAdmin {
  username: string;
  password: string;
  /** Where the password was written (mode 0600), as Jenkins keeps its initial admin password. */
  file: string;
}

export const INITIAL_ADMIN_USERNAME = 'admin';

/**
 * With no admin yet and none configured (MAAS_ADMIN_EMAIL/PASSWORD), creates `admin` with a random
 * password, so that a first start can always be run; the password goes to DATA_DIR with mode
 * 0600 and is answered once for the banner. Off in tests (MAAS_INITIAL_ADMIN).
 */
export async function ensureInitialAdmin(platform: Platform): Promise<InitialAdmin | null> {
  const { config } = platform;
  if (!config.initialAdmin || (config.adminEmail && config.adminPassword)) return null;
  const anyAdmin = await platform.db.selectFrom('users').select('id').where('role', '=', 'admin').limit(1).executeTakeFirst();
  if (anyAdmin) return null;
  const taken = await platform.db
    .selectFrom('users')
    .select('id')
    .where(sql`lower(username)`, '=', INITIAL_ADMIN_USERNAME)
    .executeTakeFirst();
  const username = taken ? `admin_${randomSecret(3)}` : INITIAL_ADMIN_USERNAME;
  const password = randomSecret(15);
  await registerUser(platform, { username, email: `${username}@maas.localhost`, password }, 'admin');
  const file = path.join(config.dataDir, 'initial-admin-password');
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(file, `username: ${username}\npassword: ${password}\n`, { mode: 0o600 });
  return { username, password, file };
}
