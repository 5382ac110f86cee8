import type { AddressInfo } from 'node:net';
import { loadConfig, type PlatformConfig } from '@maas/api';
import { createDatabase, type DatabaseHandle } from '@maas/db';
import pg from 'pg';
import { buildServer, type MaasServer, type ServerOptions } from '../../src/server.js';

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

/** On `port` when a test needs to know it beforehand (MAAS_PUBLIC_URL), else on a free one. */
async function listen(server: MaasServer, wanted = 0): Promise<string> {
  await server.app.listen({ port: wanted, host: '127.0.0.1' });
  const { port } = server.app.server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

export interface TestServerOptions {
  /**
   * The PostgreSQL server to create the fresh database on, instead of DATABASE_URL: fault tests
   * point it at a private cluster they can stop.
   */
  databaseUrl?: string;
  /** The resolver the platform's outbound address guard uses (a test-controlled DNS); node's by default. */
  lookup?: ServerOptions['lookup'];
  /** Turns the request log on and sends it here (set MAAS_LOG_FORMAT=json): a test that reads the log. */
  logStream?: ServerOptions['logStream'];
  /** Wraps the test database before the server uses it (e.g. a Kysely plugin that counts statements). */
  wrapDatabase?: (handle: DatabaseHandle) => DatabaseHandle;
}

export async function startTestServer(env: Record<string, string> = {}, options: TestServerOptions = {}): Promise<TestServer> {
  const fullEnv = testEnv(env);
  const config = loadConfig(fullEnv);
  const database = await createTestDatabase(options.databaseUrl ?? process.env.DATABASE_URL);
  const server = await buildServer({
    config,
    database: options.wrapDatabase ? options.wrapDatabase(database.handle) : database.handle,
    logging: options.logStream !== undefined,
    lookup: options.lookup,
    ...(options.logStream ? { logStream: options.logStream } : {}),
  });
  return {
    url: await listen(server, env.PORT ? Number(env.PORT) : 0),
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
