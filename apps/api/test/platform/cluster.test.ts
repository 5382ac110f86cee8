import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@maas/api';
import pg from 'pg';
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { workerCount } from '../../src/cluster.js';
import { TEST_JWT_SECRET } from '../kit/index.js';
import { type ServerProcess, startServerProcess } from './server-process.js';

/*
 * Issue 18 target 6: MAAS_WORKERS=N runs N server processes on one port (node:cluster). Against
 * PostgreSQL: both workers answer, a worker killed with SIGKILL is replaced, and no request fails
 * but those the killed worker had in flight; SIGTERM to the primary stops them all cleanly. PGlite
 * lives in one process, so more than one worker on it is refused at start.
 */

const API_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const baseUrl = process.env.DATABASE_URL;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function env(extra: Record<string, string>): Record<string, string> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'maas-cluster-'));
  dirs.push(dataDir);
  return {
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    MAAS_JWT_SECRET: TEST_JWT_SECRET,
    MAAS_SEED_DEMO: '0',
    MAAS_RATE_LIMIT_AUTHENTICATED: '0',
    MAAS_RATE_LIMIT_ANONYMOUS: '0',
    MAAS_RATE_LIMIT_MODEL_CALLS: '0',
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

describe('MAAS_WORKERS', () => {
  it('defaults to 1 outside production and to the CPU count in production on PostgreSQL', () => {
    expect(workerCount(loadConfig({ NODE_ENV: 'test' }))).toBe(1);
    const production = { NODE_ENV: 'production', MAAS_JWT_SECRET: TEST_JWT_SECRET, MAAS_ENCRYPTION_KEY: TEST_JWT_SECRET };
    expect(workerCount(loadConfig({ ...production, DATABASE_URL: 'postgres://db/maas' }))).toBeGreaterThanOrEqual(1);
    // On PGlite the production default falls back to one process instead of refusing to start.
    expect(workerCount(loadConfig(production))).toBe(1);
    expect(workerCount(loadConfig({ NODE_ENV: 'test', MAAS_WORKERS: '3', DATABASE_URL: 'postgres://db/maas' }))).toBe(3);
    expect(() => loadConfig({ NODE_ENV: 'test', MAAS_WORKERS: '0' })).toThrow(/MAAS_WORKERS/);
  });

  it('refuses more than one worker on PGlite, at start, saying why', async () => {
    expect(() => workerCount(loadConfig({ NODE_ENV: 'test', MAAS_WORKERS: '2' }))).toThrow(/needs PostgreSQL \(DATABASE_URL\)/);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: API_DIR,
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', ...env({ MAAS_WORKERS: '2' }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(output).toContain('MAAS_WORKERS=2 needs PostgreSQL (DATABASE_URL)');
  });
});

describe.skipIf(!baseUrl)('two workers on one port (PostgreSQL)', () => {
  let server: ServerProcess | undefined;
  const databaseName = `maas_cluster_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  afterAll(async () => {
    await server?.stop('SIGKILL').catch(() => {});
    const admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`);
    await admin.end();
  });

  it('answers from both workers, replaces a killed one with no other request failing, and stops on SIGTERM', async () => {
    const admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${databaseName}`);
    await admin.end();
    const url = new URL(baseUrl!);
    url.pathname = `/${databaseName}`;
    server = await startServerProcess(env({ DATABASE_URL: url.toString(), MAAS_WORKERS: '2', MAAS_EXPOSE_WORKER_PID: '1' }), 90_000);

    // A new connection per request, so the primary hands each to the next worker in turn. A
    // connection handed to the worker just as it is killed is never answered (node's cluster loses
    // it with the worker), so a request gives up after 10 s, as a client would: that is the killed one's.
    const dispatcher = new Agent({ pipelining: 0 });
    const pidOf = async (): Promise<number> => {
      const res = await request(`${server!.url}/api/v1/models?limit=5`, {
        dispatcher,
        headers: { connection: 'close' },
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      await res.body.text();
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
      return Number(res.headers['x-maas-worker-pid']);
    };
    const seen = new Set<number>();
    // The second worker may still be starting when the first answers: ask for up to 30 s.
    for (const until = Date.now() + 30_000; seen.size < 2 && Date.now() < until; await sleep(50)) seen.add(await pidOf());
    expect(seen.size, 'both workers answer').toBe(2);
    expect(seen.has(server.pid)).toBe(false); // the primary serves nothing itself

    // Two clients keep asking; one worker is killed; each client has at most one request in flight.
    const clients = 2;
    let running = true;
    const answeredBy = new Set<number>();
    const failures: string[] = [];
    let answered = 0;
    // Only answers to requests sent a little after the kill count: one sent before it may still be
    // answered by the victim, or its answer read after the kill.
    let countFrom = Number.POSITIVE_INFINITY;
    const loops = Array.from({ length: clients }, async () => {
      while (running) {
        try {
          const sentAt = Date.now();
          const pid = await pidOf();
          if (sentAt >= countFrom) answeredBy.add(pid);
          answered++;
        } catch (error) {
          failures.push(String(error));
        }
      }
    });
    await sleep(300);
    const [victim, survivor] = [...seen] as [number, number];
    process.kill(victim, 'SIGKILL');
    countFrom = Date.now() + 200;
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !(answeredBy.size >= 2 && !answeredBy.has(victim))) await sleep(100);
    const countedAt = answered;
    while (answered < countedAt + 20) await sleep(20);
    running = false;
    await Promise.all(loops);
    await dispatcher.close();

    expect(
      [...answeredBy].filter((pid) => pid !== survivor && pid !== victim),
      'a replacement worker answers',
    ).toHaveLength(1);
    expect(answeredBy.has(victim)).toBe(false);
    expect(failures.length, failures.join('\n')).toBeLessThanOrEqual(clients);

    // SIGTERM to the primary: forwarded, every worker finishes and the primary exits.
    await server.stop('SIGTERM');
    expect(server.output()).toContain('starting a replacement');
  }, 240_000);
});
