import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../kit/ports.js';

export { freePort };

/*
 * Private PostgreSQL and Redis servers for fault tests: each test file starts its own on a free
 * port, so it can stop and kill them without touching the shared services other files use.
 */

const run = promisify(execFile);

export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function postgresUid(): { uid: number; gid: number } | null {
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith('postgres:'));
    if (!line) return null;
    const [, , uid, gid] = line.split(':');
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return null;
  }
}

/**
 * Why a private PostgreSQL cannot be started here, or null when it can. PostgreSQL refuses to run
 * as root, so as root the cluster belongs to the `postgres` user (commands go through runuser).
 */
export function privatePostgresUnavailable(): string | null {
  if (!existsSync(path.join(PG_BIN, 'initdb')) || !existsSync(path.join(PG_BIN, 'pg_ctl'))) {
    return `no initdb/pg_ctl in ${PG_BIN} (set PG_BIN to PostgreSQL's bin directory)`;
  }
  if (process.getuid?.() === 0 && (!postgresUid() || !existsSync('/usr/sbin/runuser'))) {
    return 'running as root without a postgres user and runuser to own the cluster';
  }
  return null;
}

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  /** `pg_ctl stop -m fast`: open connections are terminated, new ones refused. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** `pg_ctl restart -m fast`. */
  restart(): Promise<void>;
  /** The server log (for a failure message). */
  log(): string;
  /** Stops the server (immediately) and deletes its directory. */
  destroy(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const reason = privatePostgresUnavailable();
  if (reason) throw new Error(reason);
  const dir = mkdtempSync(path.join(tmpdir(), 'maas-private-pg-'));
  const owner = process.getuid?.() === 0 ? postgresUid() : null;
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const asOwner = (binary: string, args: string[]) =>
    owner ? run('/usr/sbin/runuser', ['-u', 'postgres', '--', path.join(PG_BIN, binary), ...args]) : run(path.join(PG_BIN, binary), args);

  const port = await freePort();
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  // fsync off: the cluster is thrown away; a clean (fast) shutdown still writes everything.
  const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  await asOwner('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
  const pgCtl = (...args: string[]) => asOwner('pg_ctl', ['-D', data, '-l', logFile, '-w', '-t', '30', ...args]);
  await pgCtl('-o', serverOptions, 'start');

  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop: async () => {
      await pgCtl('-m', 'fast', 'stop');
    },
    start: async () => {
      await pgCtl('-o', serverOptions, 'start');
    },
    restart: async () => {
      await pgCtl('-m', 'fast', '-o', serverOptions, 'restart');
    },
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    destroy: async () => {
      await pgCtl('-m', 'immediate', 'stop').catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function redisUnavailable(): string | null {
  return existsSync(REDIS_SERVER) ? null : `no redis-server at ${REDIS_SERVER} (set REDIS_SERVER)`;
}

export interface PrivateRedis {
  url: string;
  port: number;
  /** Kills the server (SIGKILL by default: no goodbye to clients) and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port, with an empty dataset. */
  start(): Promise<void>;
  destroy(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const reason = redisUnavailable();
  if (reason) throw new Error(reason);
  const port = await freePort();
  let child: ChildProcess | null = null;

  const start = async () => {
    const proc = spawn(
      REDIS_SERVER,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child = proc;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start on ${port}: ${output}`)), 10_000);
      proc.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${output}`));
      });
    });
    // Keep draining its output so the pipe never fills.
    proc.stdout?.resume();
    proc.stderr?.resume();
  };

  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill(signal);
    await exited;
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    start: async () => {
      // A port just released by a killed server can take a moment to accept a new listener.
      for (let attempt = 1; ; attempt++) {
        try {
          await start();
          return;
        } catch (error) {
          if (attempt >= 5) throw error;
          await sleep(200);
        }
      }
    },
    destroy: () => kill('SIGKILL'),
  };
}
