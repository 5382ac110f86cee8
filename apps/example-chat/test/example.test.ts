import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../api/test/kit/index.js';

const exampleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ MAAS_SEED_DEMO: '1' });
});
afterAll(() => server?.close());

describe('apps/example-chat', () => {
  it('signs up, creates an application and streams a chat against a local server', async () => {
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'src/main.ts', 'Hello from the example'], {
      cwd: exampleDir,
      env: { ...process.env, MAAS_URL: server.url, MAAS_USERNAME: 'example_runner' },
      encoding: 'utf8',
    });
    expect(stdout).toMatch(/^model: demo-chat/m);
    expect(stdout).toMatch(/app: app_/);
    expect(stdout).toContain('Hello from the example');
    expect(stdout).toMatch(/\[conversation conv_\w+: \d+ in, \d+ out, cost [\d.]+\]/);
  }, 120_000);
});
