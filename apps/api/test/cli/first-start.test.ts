import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { apiClient } from '../kit/index.js';
import { freePort } from '../kit/ports.js';

// Issue 19 part 1: a newcomer's first `pnpm start` (the server's own entry point, as a child process
// on embedded PGlite in a fresh DATA_DIR) prints a readable banner with an admin created for them,
// whose password signs in; the next start creates nothing and prints no password.

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const dataDir = mkdtempSync(path.join(tmpdir(), 'maas-first-start-'));
const SLOW = 120_000;
let child: ChildProcess | undefined;

afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts the server as `pnpm start` does (without the dashboard build) and resolves with its stdout once it is ready. */
async function start(port: number): Promise<{ stdout: string; output: () => string; stop: () => Promise<void> }> {
  const { DATABASE_URL: _ignored, ...inherited } = process.env;
  // node itself (not npx) so that SIGTERM reaches the server, which then frees its port.
  const proc = spawn(process.execPath, ['--import', 'tsx', 'apps/api/src/main.ts'], {
    cwd: repoRoot,
    env: {
      ...inherited,
      NODE_ENV: 'development',
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      MAAS_PUBLIC_URL: `http://127.0.0.1:${port}`,
      LOG_FORMAT: 'json',
      MAAS_SERVE_DASHBOARD: '0',
      MAAS_SEED_DEMO: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let stdout = '';
  let stderr = '';
  proc.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  proc.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (stdout.includes('ready on')) {
        clearInterval(timer);
        resolve();
      }
    }, 100);
    proc.once('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`server exited ${code}: ${stderr}\n${stdout}`));
    });
  });
  return {
    stdout,
    output: () => stdout,
    stop: () =>
      new Promise((resolve) => {
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

describe('the first start', () => {
  it(
    'prints the banner with a created admin whose password signs in, kept in a 0600 file; a restart creates none',
    async () => {
      const port = await freePort();
      const first = await start(port);
      const url = `http://127.0.0.1:${port}`;
      expect(first.stdout).toContain(`MaaS platform ready on ${url}`);
      expect(first.stdout).toContain(`${url}/api/v1/docs`);
      expect(first.stdout).toContain(`embedded PGlite in ${dataDir}`);
      expect(first.stdout).toMatch(/Redis\s+(on|off)/);
      expect(first.stdout).toMatch(/Demo data\s+off/);
      const username = /username\s+(\S+)/.exec(first.stdout)?.[1];
      const password = /password\s+(\S+)/.exec(first.stdout)?.[1];
      expect(username).toBe('admin');
      expect(password?.length).toBeGreaterThanOrEqual(20);

      const file = path.join(dataDir, 'initial-admin-password');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8')).toBe(`username: admin\npassword: ${password}\n`);

      const api = apiClient(url);
      const signedIn = await api.post('/api/v1/auth/token', { username, password });
      expect(signedIn.status).toBe(200);
      const profile = await api.get('/api/v1/users/profile', signedIn.body.access_token);
      expect(profile.body).toMatchObject({ username: 'admin', role: 'admin' });
      // One log line per request, and none for the health probe at info.
      await api.get('/healthz');
      await api.get('/api/v1/models');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const requestLines = first
        .output()
        .split('\n')
        .filter((line) => line.includes('"msg":"request"'));
      expect(requestLines.map((line) => (JSON.parse(line) as { url: string }).url)).toEqual([
        '/api/v1/auth/token',
        '/api/v1/users/profile',
        '/api/v1/models',
      ]);
      await first.stop();

      const second = await start(port);
      expect(second.stdout).toContain('ready on');
      expect(second.stdout).not.toMatch(/password\s+\S{20,}/);
      expect(second.stdout).toContain('initial-admin-password');
      await second.stop();
    },
    SLOW,
  );
});
