// Our server, in its own process, on a fresh PostgreSQL database (DATABASE_URL) with billing on
// and the rate-limit tiers off (they are not what this measures).
import { loadConfig } from '@maas/api';
import cluster from 'node:cluster';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import pg from 'pg';
import { tuneGarbageCollection } from '../src/gc-tuning.js';
import { buildServer } from '../src/server.js';
import { resetConversations, type SeedRequest, seedConversations } from './app-chat.js';
import { runCluster } from './gateway-cluster.js';
import { startLayerServer } from './layers.js';
import { startRestLayerServer } from './rest-layers.js';
import { BENCH_JWT_SECRET } from './processes.js';

// As main.ts does for every server process.
tuneGarbageCollection();

const port = Number(process.argv[2] ?? 4102);
const baseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
// The REST bench names the database, so that its raw Fastify + pg floor reads the same one; a
// cluster worker (--workers) is given its primary's.
const databaseName = process.env.BENCH_DATABASE ?? process.argv[3] ?? `maas_bench_${Date.now()}`;
const workers = Number(process.env.BENCH_WORKERS ?? '1');

async function dropDatabase(): Promise<void> {
  const cleanup = new pg.Client({ connectionString: baseUrl });
  await cleanup.connect();
  await cleanup.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
  await cleanup.end();
}

if (cluster.isPrimary) {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${databaseName}`);
  await admin.end();
  if (workers > 1) await runCluster(workers, { BENCH_DATABASE: databaseName }, dropDatabase);
}
const url = new URL(baseUrl);
url.pathname = `/${databaseName}`;

const config = loadConfig({
  ...process.env,
  NODE_ENV: 'production',
  DATABASE_URL: url.toString(),
  DATA_DIR: `/tmp/${databaseName}`,
  MAAS_JWT_SECRET: BENCH_JWT_SECRET,
  MAAS_ENCRYPTION_KEY: 'bench-encryption-key-bench-encryption-key-0123',
  MAAS_ADMIN_EMAIL: 'bench-admin@example.com',
  MAAS_ADMIN_PASSWORD: 'bench-admin-password',
  MAAS_SEED_DEMO: '0',
  MAAS_ALLOW_PRIVATE_UPSTREAMS: '1',
  MAAS_RATE_LIMIT_AUTHENTICATED: '0',
  MAAS_RATE_LIMIT_ANONYMOUS: '0',
  MAAS_RATE_LIMIT_MODEL_CALLS: '0',
  LOG_LEVEL: 'warn',
});
const server = await buildServer({ config, logging: false });
await server.app.listen({ port, host: '127.0.0.1' });

let closeRestLayers: (() => Promise<void>) | undefined;

async function onMessage(message: unknown): Promise<void> {
  if (typeof message === 'object' && message !== null && 'layers' in message) {
    const {
      port: layersPort,
      upstream,
      apiKey,
      model,
    } = (message as { layers: { port: number; upstream: string; apiKey: string; model: string } }).layers;
    startLayerServer(server.platform, layersPort, upstream, apiKey, model).then(
      () => process.send?.('layers-ready'),
      (error: unknown) => process.send?.({ layersFailed: String(error) }),
    );
  }
  if (typeof message === 'object' && message !== null && 'restLayers' in message) {
    const { port: layersPort } = (message as { restLayers: { port: number } }).restLayers;
    startRestLayerServer(server.platform, layersPort, url.toString(), BENCH_JWT_SECRET).then(
      (close) => {
        closeRestLayers = close;
        process.send?.('rest-layers-ready');
      },
      (error: unknown) => process.send?.({ layersFailed: String(error) }),
    );
  }
  if (typeof message === 'object' && message !== null && 'seed' in message) {
    const ids = await seedConversations(server, (message as { seed: SeedRequest }).seed);
    process.send?.({ seeded: ids });
  }
  if (message === 'reset-conversations') process.send?.({ reset: await resetConversations(server) });
  if (message === 'memory') {
    // Retained memory is what a leak grows; a collection first keeps GC timing out of the samples.
    (globalThis as { gc?: () => void }).gc?.();
    process.send?.({ rss: process.memoryUsage().rss, heapUsed: process.memoryUsage().heapUsed });
  }
  if (message === 'cpu') {
    // BENCH_PROFILE: a CPU profile of exactly the measured window (between the two CPU readings).
    if (process.env.BENCH_PROFILE) await toggleProfile();
    process.send?.({ cpu: process.cpuUsage() });
  }
  if (message === 'stop') {
    // The layers' own pool first: dropping the database would end its idle connections under it.
    await closeRestLayers?.();
    await server.close();
    // A cluster's primary drops the database once all its workers have stopped.
    if (cluster.isPrimary) await dropDatabase();
    process.exit(0);
  }
}
process.on('message', (message) => void onMessage(message));
process.send?.('ready');

let profiler: Session | null = null;
async function toggleProfile() {
  if (!profiler) {
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
    return;
  }
  const { profile } = await profiler.post('Profiler.stop');
  const file = `/tmp/bench-gateway-${Date.now()}.cpuprofile`;
  writeFileSync(file, JSON.stringify(profile));
  console.error(`gateway CPU profile of the 32-connection run: ${file}`);
  profiler.disconnect();
  profiler = null;
}
