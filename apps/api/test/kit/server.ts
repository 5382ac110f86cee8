import type { AddressInfo } from 'node:net';
import { loadConfig, type PlatformConfig } from '@maas/api';
import { createDatabase, type DatabaseHandle } from '@maas/db';
import pg from 'pg';
import { buildServer, type MaasServer } from '../../src/server.js';

/**
 * A real server on 127.0.0.1 over a real database: embedded PGlite in memory by default, or a
 * fresh PostgreSQL database (created here, dropped at close) when DATABASE_URL is set.
 */
export interface TestServer {
  url: string;
  server: MaasServer;
  config: PlatformConfig;
  /** The environment the configuration was loaded from (harness defaults plus overrides). */
  env: Record<string, string>;
  close(): Promise<void>;
}

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-signing';

async function createTestDatabase(baseUrl: string | undefined): Promise<{ handle: DatabaseHandle; drop(): Promise<void> }> {
  if (!baseUrl) {
    const handle = createDatabase({});
    return { handle, drop: () => handle.close() };
  }
  const name = `maas_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const handle = createDatabase({ databaseUrl: url.toString(), poolSize: 10 });
  return {
    handle,
    drop: async () => {
      await handle.close();
      const cleanup = new pg.Client({ connectionString: baseUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

function testEnv(env: Record<string, string>): Record<string, string> {
  return {
    NODE_ENV: 'test',
    MAAS_JWT_SECRET: TEST_JWT_SECRET,
    MAAS_SEED_DEMO: '0',
    MAAS_ALLOW_PRIVATE_UPSTREAMS: '1',
    // Rate limits have their own tests; elsewhere they would only make concurrency tests flaky.
    MAAS_RATE_LIMIT_AUTHENTICATED: '0',
    MAAS_RATE_LIMIT_ANONYMOUS: '0',
    MAAS_RATE_LIMIT_MODEL_CALLS: '0',
    DATA_DIR: `/tmp/maas-test-${process.pid}`,
    ...env,
  };
}

async function listen(server: MaasServer): Promise<string> {
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = server.app.server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

export interface TestServerOptions {
  /**
   * The PostgreSQL server to create the fresh database on, instead of DATABASE_URL: fault tests
   * point it at a private cluster they can stop.
   */
  databaseUrl?: string;
}

export async function startTestServer(env: Record<string, string> = {}, options: TestServerOptions = {}): Promise<TestServer> {
  const fullEnv = testEnv(env);
  const config = loadConfig(fullEnv);
  const database = await createTestDatabase(options.databaseUrl ?? process.env.DATABASE_URL);
  const server = await buildServer({ config, database: database.handle, logging: false });
  return {
    url: await listen(server),
    server,
    config,
    env: fullEnv,
    close: async () => {
      await server.close();
      await database.drop();
    },
  };
}

/**
 * A second instance over the same database as `primary`, as another replica (or a restart) would
 * be: its own caches and configuration (`env` overrides the primary's), no new database. Closing
 * it leaves the database to the primary. `beforeListen` may add test-only routes.
 */
export async function startPeerServer(
  primary: TestServer,
  env: Record<string, string> = {},
  beforeListen?: (server: MaasServer) => void | Promise<void>,
): Promise<TestServer> {
  const fullEnv = { ...primary.env, ...env };
  const config = loadConfig(fullEnv);
  const server = await buildServer({ config, database: primary.server.database, logging: false });
  await beforeListen?.(server);
  return { url: await listen(server), server, config, env: fullEnv, close: () => server.close() };
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** A small HTTP client for tests: JSON in, JSON out, status kept. */
export function apiClient(baseUrl: string) {
  async function call<T = any>(
    method: string,
    path: string,
    options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    }
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // Keep the raw text (e.g. SSE or HTML).
    }
    return { status: response.status, headers: response.headers, body: parsed as T };
  }
  return {
    call,
    get: <T = any>(path: string, token?: string, headers?: Record<string, string>) => call<T>('GET', path, { token, headers }),
    post: <T = any>(path: string, body: unknown, token?: string, headers?: Record<string, string>) =>
      call<T>('POST', path, { body, token, headers }),
    put: <T = any>(path: string, body: unknown, token?: string) => call<T>('PUT', path, { body, token }),
    patch: <T = any>(path: string, body: unknown, token?: string) => call<T>('PATCH', path, { body, token }),
    delete: <T = any>(path: string, token?: string) => call<T>('DELETE', path, { token }),
  };
}

export type ApiClient = ReturnType<typeof apiClient>;

let userCounter = 0;

/** Registers a fresh user and signs in; returns its id and tokens. */
export async function signUp(api: ApiClient, prefix = 'user') {
  userCounter += 1;
  const suffix = `${process.pid}${userCounter}${Math.random().toString(36).slice(2, 6)}`;
  const username = `${prefix}_${suffix}`.slice(0, 32);
  const email = `${username}@example.com`;
  const password = 'correct-horse-battery';
  const registered = await api.post('/api/v1/auth/register', { username, email, password });
  if (registered.status !== 201) throw new Error(`register failed: ${JSON.stringify(registered.body)}`);
  const tokens = await api.post('/api/v1/auth/token', { username, password });
  if (tokens.status !== 200) throw new Error(`login failed: ${JSON.stringify(tokens.body)}`);
  return {
    id: registered.body.id as string,
    username,
    email,
    password,
    token: tokens.body.access_token as string,
    refreshToken: tokens.body.refresh_token as string,
  };
}

/** Makes a user an admin or developer directly in the database (role changes need an admin first). */
export async function setRole(server: TestServer, userId: string, role: 'user' | 'developer' | 'admin') {
  await server.server.platform.db.updateTable('users').set({ role }).where('id', '=', userId).execute();
  server.server.platform.sessions.clear();
  server.server.platform.apiKeys?.clear();
}
