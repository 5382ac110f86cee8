import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { postgresNotifications, pgliteNotifications, type DatabaseNotifications } from './notifications.js';
import type { Database } from './schema/index.js';

const INT8_OID = 20;
// Money and counters are int8; both engines must hand them to us as bigint so no
// amount ever passes through a float.
const parseInt8 = (value: string) => BigInt(value);

export type DatabaseEngine = 'postgres' | 'pglite';

export interface DatabaseHandle {
  db: Kysely<Database>;
  /**
   * The same database through connections with `synchronous_commit = off`: a commit returns
   * without waiting for the WAL flush (about 2.7 ms here), which is what limits updates of one hot
   * row (a busy wallet). Atomicity and consistency are unchanged; only a crash of the database
   * server (not of ours, not a clean restart) can lose the last few hundred milliseconds of such
   * commits. For the model-call reservations and settlements only.
   */
  relaxedDb: Kysely<Database>;
  engine: DatabaseEngine;
  /** Answers true when the database responds to a trivial query. */
  ping(): Promise<boolean>;
  /** LISTEN/NOTIFY between the instances that share this database (cache invalidation). */
  notifications: DatabaseNotifications;
  /** Pool statistics for metrics; PGlite has a single connection. */
  poolStats(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}

export interface CreateDatabaseOptions {
  /** postgres://… selects PostgreSQL; unset selects embedded PGlite. */
  databaseUrl?: string | undefined;
  /** Where PGlite persists its files; unset keeps PGlite in memory (tests). */
  dataDir?: string | undefined;
  poolSize?: number;
}

export function createDatabase(options: CreateDatabaseOptions): DatabaseHandle {
  if (options.databaseUrl) return createPostgres(options.databaseUrl, options.poolSize ?? 20);
  return createPglite(options.dataDir);
}

function createPool(connectionString: string, max: number, options?: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    ...(options ? { options } : {}),
    types: {
      // pg-types declares every parser as returning any; a parser turns a column's text into a value.
      getTypeParser: (oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? parseInt8 : (pg.types.getTypeParser(oid, format) as (value: string) => unknown),
    },
  });
  // An idle client losing its connection (e.g. a PostgreSQL restart) must not crash the process.
  pool.on('error', () => {});
  // Nor may a checked-out one: pg-pool drops its error listener while a client is lent out, so a
  // restart reaching it between two queries (or right after its last reply, before release) was an
  // uncaught exception. The next query on it fails instead (a 503) and the pool discards it on release.
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

function createPostgres(connectionString: string, max: number): DatabaseHandle {
  const pool = createPool(connectionString, max);
  const relaxedPool = createPool(connectionString, Math.max(2, Math.ceil(max / 2)), '-c synchronous_commit=off');
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const relaxedDb = new Kysely<Database>({ dialect: new PostgresDialect({ pool: relaxedPool }) });
  return {
    db,
    relaxedDb,
    engine: 'postgres',
    notifications: postgresNotifications(connectionString, pool),
    ping: () => pingDatabase(db),
    poolStats: () => ({
      total: pool.totalCount + relaxedPool.totalCount,
      idle: pool.idleCount + relaxedPool.idleCount,
      waiting: pool.waitingCount + relaxedPool.waitingCount,
    }),
    close: async () => {
      await Promise.all([db.destroy(), relaxedDb.destroy()]);
    },
  };
}

function createPglite(dataDir: string | undefined): DatabaseHandle {
  let storage: string | undefined;
  if (dataDir) {
    storage = path.resolve(dataDir, 'pglite');
    mkdirSync(storage, { recursive: true });
  }
  // PGlite reads options only from the options object when no data directory string is given.
  const pglite = new PGlite({ ...(storage ? { dataDir: storage } : {}), parsers: { [INT8_OID]: parseInt8 } });
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return {
    db,
    relaxedDb: db,
    engine: 'pglite',
    notifications: pgliteNotifications(pglite),
    ping: () => pingDatabase(db),
    poolStats: () => ({ total: 1, idle: 1, waiting: 0 }),
    close: async () => {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}

async function pingDatabase(db: Kysely<Database>): Promise<boolean> {
  try {
    await db.selectNoFrom((eb) => eb.val(1).as('ok')).execute();
    return true;
  } catch {
    return false;
  }
}
