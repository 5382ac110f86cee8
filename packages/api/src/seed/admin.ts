import { sql } from 'kysely';
import { hashPassword } from '../auth/passwords.js';
import { registerUser } from '../auth/service.js';
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
