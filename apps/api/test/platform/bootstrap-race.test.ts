import { loadConfig } from '@maas/api';
import { createDatabase } from '@maas/db';
import pg from 'pg';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server.js';
import { TEST_JWT_SECRET } from '../kit/index.js';

const baseUrl = process.env.DATABASE_URL;

// Two replicas sharing one PostgreSQL can only exist on a real server; PGlite is one process.
describe.skipIf(!baseUrl)('two replicas starting at once', () => {
  it('both start, and the env admin and env providers exist once', async () => {
    const name = `maas_boot_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(baseUrl!);
    url.pathname = `/${name}`;
    const env = {
      NODE_ENV: 'test',
      MAAS_JWT_SECRET: TEST_JWT_SECRET,
      MAAS_SEED_DEMO: '1',
      MAAS_ALLOW_PRIVATE_UPSTREAMS: '1',
      MAAS_ADMIN_EMAIL: 'root@example.com',
      MAAS_ADMIN_PASSWORD: 'root-password-long-enough',
      DATA_DIR: `/tmp/maas-test-${process.pid}-boot`,
    };
    const handles = [0, 1].map(() => createDatabase({ databaseUrl: url.toString(), poolSize: 4 }));
    try {
      const servers = await Promise.all(handles.map((database) => buildServer({ config: loadConfig(env), database, logging: false })));
      const db = handles[0]!.db;
      const admins = await db
        .selectFrom('users')
        .select(['role'])
        .where(sql`lower(email)`, '=', 'root@example.com')
        .execute();
      expect(admins).toEqual([{ role: 'admin' }]);
      const providers = await db.selectFrom('providers').select('name').execute();
      expect(new Set(providers.map((p) => p.name)).size).toBe(providers.length);
      await Promise.all(servers.map((server) => server.close()));
    } finally {
      await Promise.all(handles.map((handle) => handle.close()));
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
