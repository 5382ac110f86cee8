import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@maas/api';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/server.js';
import { TEST_JWT_SECRET } from '../kit/index.js';

// `pnpm maas …` as an operator runs it: a child process (npx tsx apps/api/src/cli.ts) over a
// database of its own: a temporary PGlite DATA_DIR, or a fresh PostgreSQL database when
// DATABASE_URL is set. Commands run one after another: PGlite is single-process.

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const SLOW = 180_000;

let dataDir: string;
let childEnv: Record<string, string | undefined>;
let dropDatabase: (() => Promise<void>) | undefined;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

function maas(...args: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      'npx',
      ['tsx', 'apps/api/src/cli.ts', ...args],
      { cwd: repoRoot, env: childEnv, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function maasJson<T = Record<string, unknown>>(...args: string[]): Promise<T> {
  const outcome = await maas(...args, '--json');
  if (outcome.code !== 0) throw new Error(`maas ${args.join(' ')} exited ${outcome.code}: ${outcome.stderr}`);
  return JSON.parse(outcome.stdout) as T;
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'maas-cli-'));
  const { DATABASE_URL: baseUrl, ...inherited } = process.env;
  childEnv = { ...inherited, NODE_ENV: 'test', MAAS_JWT_SECRET: TEST_JWT_SECRET, MAAS_SEED_DEMO: '0', DATA_DIR: dataDir };
  if (baseUrl) {
    const name = `maas_cli_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(baseUrl);
    url.pathname = `/${name}`;
    childEnv.DATABASE_URL = url.toString();
    dropDatabase = async () => {
      const cleanup = new pg.Client({ connectionString: baseUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    };
  }
});

afterAll(async () => {
  await dropDatabase?.();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('pnpm maas: command line', () => {
  it('lists the commands with --help and exits 0', async () => {
    const outcome = await maas('--help');
    expect(outcome.code).toBe(0);
    for (const command of ['migrate', 'seed', 'create-admin', 'create-api-key', 'user:set-role']) expect(outcome.stdout).toContain(command);
  });

  it(
    'refuses a bad command line with exit code 2 and a hint',
    async () => {
      const [none, unknown, badOption, missing, badRole] = await Promise.all([
        maas(),
        maas('frobnicate'),
        maas('migrate', '--bogus'),
        maas('create-api-key', '--user', 'someone'),
        maas('user:set-role', '--user', 'someone', '--role', 'root'),
      ]);
      expect(none.code).toBe(2);
      expect(none.stderr).toContain('Usage: pnpm maas');
      expect(unknown).toMatchObject({ code: 2 });
      expect(unknown.stderr).toContain('unknown command "frobnicate"');
      expect(badOption.code).toBe(2);
      expect(badOption.stderr).toMatch(/Unknown option '--bogus'/);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('--name is required');
      expect(badRole.code).toBe(2);
      expect(badRole.stderr).toContain('--role must be one of user, developer, admin');
    },
    SLOW,
  );
});

describe('pnpm maas: commands over a real database', () => {
  let admin: { id: string; username: string; email: string; role: string };
  let apiKey: string;

  it(
    'migrates a fresh database, then finds nothing left to do',
    async () => {
      const first = await maas('migrate');
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/applied \d+ migration\(s\): 0001_users_and_sessions/);
      const second = await maasJson<{ applied: string[] }>('migrate');
      expect(second.applied).toEqual([]);
    },
    SLOW,
  );

  it(
    'creates an admin, deriving the username from the email',
    async () => {
      admin = await maasJson('create-admin', '--email', 'Root.Ops@example.com', '--password', 'correct-horse-battery');
      expect(admin).toMatchObject({ username: 'Root.Ops', email: 'root.ops@example.com', role: 'admin' });
      expect(admin.id).toMatch(/^user_/);
    },
    SLOW,
  );

  it(
    'fails with exit code 1 and the API error for a taken account or an invalid email',
    async () => {
      const taken = await maas(
        'create-admin',
        '--email',
        'root.ops@example.com',
        '--password',
        'correct-horse-battery',
        '--username',
        'another_admin',
      );
      expect(taken.code).toBe(1);
      expect(taken.stderr).toContain('CONFLICT');
      expect(taken.stderr).toContain('(email)');
      const invalid = await maas(
        'create-admin',
        '--email',
        'not-an-email',
        '--password',
        'correct-horse-battery',
        '--username',
        'valid_name',
      );
      expect(invalid.code).toBe(1);
      expect(invalid.stderr).toContain('INVALID_REQUEST');
      expect(invalid.stderr).toContain('(email');
    },
    SLOW,
  );

  it(
    'creates an API key for a user found by username, and one with an expiry for a user found by email',
    async () => {
      const created = await maasJson<{ key: string; user_id: string; name: string; expires_at: string | null }>(
        'create-api-key',
        '--user',
        'root.ops',
        '--name',
        'ci',
      );
      expect(created).toMatchObject({ user_id: admin.id, name: 'ci', expires_at: null });
      expect(created.key).toMatch(/^sk-/);
      apiKey = created.key;

      const expiring = await maas(
        'create-api-key',
        '--user',
        'ROOT.OPS@example.com',
        '--name',
        'temporary',
        '--expires-at',
        '2031-01-01T00:00:00Z',
      );
      expect(expiring.code, expiring.stderr).toBe(0);
      expect(expiring.stdout).toMatch(/expires 2031-01-01T00:00:00\.000Z/);
      expect(expiring.stdout).toMatch(/key \(shown once, store it now\): sk-/);
    },
    SLOW,
  );

  it(
    'refuses an unknown user and an expiry in the past with exit code 1',
    async () => {
      const unknown = await maas('create-api-key', '--user', 'nobody_here', '--name', 'x');
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('no user with id, username or email "nobody_here"');
      const past = await maas('create-api-key', '--user', admin.id, '--name', 'x', '--expires-at', '2001-01-01T00:00:00Z');
      expect(past.code).toBe(1);
      expect(past.stderr).toContain('INVALID_REQUEST');
      expect(past.stderr).toContain('expires_at');
    },
    SLOW,
  );

  it(
    "changes a user's role, found by id",
    async () => {
      const changed = await maasJson('user:set-role', '--user', admin.id, '--role', 'developer');
      expect(changed).toEqual({ id: admin.id, username: admin.username, previous_role: 'admin', role: 'developer' });
    },
    SLOW,
  );

  it(
    'seeds the demo data',
    async () => {
      const outcome = await maas('seed');
      expect(outcome.code, outcome.stderr).toBe(0);
      expect(outcome.stdout).toContain('demo data seeded');
    },
    SLOW,
  );

  it(
    'leaves a database the server starts on, where the new key signs in as its owner with the new role',
    async () => {
      const config = loadConfig(childEnv);
      const server = await buildServer({ config, logging: false });
      try {
        await server.app.listen({ port: 0, host: '127.0.0.1' });
        const address = server.app.server.address();
        const port = typeof address === 'object' && address ? address.port : 0;
        const response = await fetch(`http://127.0.0.1:${port}/api/v1/users/profile`, { headers: { authorization: `Bearer ${apiKey}` } });
        expect(response.status).toBe(200);
        expect(await response.json()).toMatchObject({ id: admin.id, role: 'developer' });
      } finally {
        await server.close();
      }
    },
    SLOW,
  );
});
