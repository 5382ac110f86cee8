import cluster, { type Worker } from 'node:cluster';
import os from 'node:os';
import { type PlatformConfig, resolveJwtSecret } from '@maas/api';
import { createDatabase, migrateToLatest } from '@maas/db';

/*
 * MAAS_WORKERS=N runs N server processes on one port (issue 18 target 6): node's cluster primary
 * accepts the connections and hands them to the workers in turn. What is already safe across
 * instances (leases and limits, the settlement journal per process, the bootstrap under an advisory
 * lock, secret files created with link()) is safe across workers, which are instances on one host.
 * The primary runs the migrations once before forking, so the workers start on an up-to-date
 * schema instead of queueing on the migration lock; it serves nothing itself.
 */

/** Environment variable: the worker's slot (0..N-1), kept when a crashed worker is replaced. */
const WORKER_SLOT_ENV = 'MAAS_WORKER_SLOT';
/** A worker that dies sooner than this after its start is restarted after RESTART_DELAY_MS, not at once. */
const QUICK_DEATH_MS = 5_000;
const RESTART_DELAY_MS = 1_000;
const STOP_TIMEOUT_MS = 30_000;

/** MAAS_WORKERS, or the number of CPUs in production and 1 otherwise; N > 1 needs PostgreSQL. */
export function workerCount(config: PlatformConfig): number {
  const count = config.workers ?? (config.isProduction ? os.availableParallelism() : 1);
  if (count > 1 && !config.databaseUrl) {
    // An explicit request is refused; the production default falls back to one process.
    if (config.workers !== undefined) {
      throw new Error(`MAAS_WORKERS=${count} needs PostgreSQL (DATABASE_URL): embedded PGlite lives in one process; use MAAS_WORKERS=1`);
    }
    return 1;
  }
  return count;
}

/** The primary: migrations, then N workers kept alive until SIGTERM/SIGINT, which is forwarded to them. */
export async function runPrimary(config: PlatformConfig, count: number, log: (message: string) => void): Promise<void> {
  const database = createDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrateToLatest(database.db);
  } finally {
    await database.close();
  }
  // Outside production a missing secret is created under DATA_DIR: once, here, before the workers read it.
  resolveJwtSecret(config);

  let stopping = false;
  const slots = new Map<Worker, { slot: number; startedAt: number }>();
  const fork = (slot: number) => {
    const worker = cluster.fork({ [WORKER_SLOT_ENV]: String(slot) });
    slots.set(worker, { slot, startedAt: Date.now() });
  };
  cluster.on('exit', (worker, code, signal) => {
    const entry = slots.get(worker);
    slots.delete(worker);
    if (stopping || !entry) return;
    log(`worker ${worker.process.pid} (slot ${entry.slot}) exited (${signal ?? `code ${code}`}); starting a replacement`);
    const quick = Date.now() - entry.startedAt < QUICK_DEATH_MS;
    setTimeout(
      () => {
        if (!stopping) fork(entry.slot);
      },
      quick ? RESTART_DELAY_MS : 0,
    );
  });
  for (let slot = 0; slot < count; slot++) fork(slot);
  log(`primary ${process.pid}: ${count} workers on port ${config.port}`);

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    for (const worker of slots.keys()) worker.process.kill('SIGTERM');
    const force = setTimeout(() => {
      for (const worker of slots.keys()) worker.process.kill('SIGKILL');
      process.exit(1);
    }, STOP_TIMEOUT_MS);
    force.unref();
    const done = () => {
      if (slots.size === 0) process.exit(0);
    };
    cluster.on('exit', done);
    done();
    log(`primary: ${signal}, stopping ${slots.size} workers`);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
