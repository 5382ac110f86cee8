import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, createApp, signUp, signUpAs, startTestServer, type TestServer } from '../kit/index.js';
import { freePort } from '../kit/ports.js';

// Issue 19 part 3: the README's "Try it" shell commands, run as written (one bash script, in order,
// so the variables they set carry over) against a live server with the demo data, every curl made
// to fail on an error status. Only the address changes: localhost:3000 becomes the test server's.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const workDir = mkdtempSync(path.join(tmpdir(), 'maas-try-it-'));
let server: TestServer;

beforeAll(async () => {
  // A known port, so that the `url` of generated media (MAAS_PUBLIC_URL) points at this server.
  const port = await freePort();
  server = await startTestServer({
    MAAS_SEED_DEMO: '1',
    DATA_DIR: path.join(workDir, 'data'),
    PORT: String(port),
    MAAS_PUBLIC_URL: `http://127.0.0.1:${port}`,
  });
});
afterAll(async () => {
  await server?.close();
  rmSync(workDir, { recursive: true, force: true });
});

/** The sh blocks of "Try it", up to the section that starts a server of its own. */
function tryItScript(): string {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Try it'), readme.indexOf('### Point a model at a real upstream'));
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '').join('\n');
}

/** The sh blocks of one `###` section of the README, by its heading. */
function sectionScript(heading: string): string {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const start = readme.indexOf(`### ${heading}\n`);
  const end = readme.indexOf('\n## ', start);
  const section = readme.slice(start, end);
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '').join('\n');
}

function runBash(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', script],
      { cwd: workDir, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 120_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe("the README's Try it", () => {
  it('runs as written against the demo data, every call answered with a success', async () => {
    const address = new URL(server.url).host;
    const commands = tryItScript().replaceAll('localhost:3000', address);
    expect(commands).toContain('/v1/chat/completions');
    const script = ['set -euo pipefail', 'curl() { command curl --fail-with-body "$@"; }', commands].join('\n');
    const { code, stdout, stderr } = await runBash(script);
    // The tail is where a failing command is.
    expect(code, `${stderr.slice(-1500)}\n${stdout.slice(-1500)}`).toBe(0);

    expect(stdout).toContain('"role":"user"');
    expect(stdout).toContain('"type":"done"');
    expect(stdout).toContain('"message":"Echo: Hello!');
    // The app is made on demo-chat itself on either engine (the list sorted by name, not by insertion order).
    const writer = await server.server.platform.db
      .selectFrom('applications')
      .innerJoin('models', 'models.id', 'applications.model_id')
      .select('models.name')
      .where('applications.name', '=', 'Writer')
      .executeTakeFirstOrThrow();
    expect(writer.name).toBe('demo-chat');
    expect(stdout).toContain('"object":"chat.completion"');
    expect(stdout).toContain('"object":"embedding"');
    expect(stdout).toContain('"type":"message"');
    expect(stdout).toContain('Hello from the demo voice.');
    for (const file of ['lighthouse.png', 'edited.png']) {
      expect(existsSync(path.join(workDir, file)), file).toBe(true);
      expect(readFileSync(path.join(workDir, file)).subarray(1, 4).toString('latin1'), file).toBe('PNG');
    }
    expect(readFileSync(path.join(workDir, 'hello.wav')).subarray(8, 12).toString('latin1')).toBe('WAVE');
    const clip = readFileSync(path.join(workDir, 'clip.avi'));
    expect([clip.subarray(0, 4).toString('latin1'), clip.subarray(8, 12).toString('latin1')]).toEqual(['RIFF', 'AVI ']);
  });

  // Issue 16: the README shows publishing a tool, buying it, attaching it and chatting with it. The
  // section needs a developer's token, a user's token and the user's application; the test makes them.
  it('publishes a tool, buys it, attaches it and chats with it as "Publish a tool" shows', async () => {
    const api = apiClient(server.url);
    const developer = await signUpAs(server, api, 'developer');
    const user = await signUp(api, 'buyer');
    const models = await api.get('/api/v1/models?search=demo-chat&sort=name');
    const app = await createApp(api, user.token, models.body.data[0].id as string);
    const commands = sectionScript('Publish a tool, buy it, attach it, chat with it').replaceAll(
      'localhost:3000',
      new URL(server.url).host,
    );
    expect(commands).toContain('/purchase');
    const script = [
      'set -euo pipefail',
      'curl() { command curl --fail-with-body "$@"; }',
      `DEV_TOKEN=${developer.token} TOKEN=${user.token} APP=${app.id}`,
      commands,
    ].join('\n');
    const { code, stdout, stderr } = await runBash(script);
    expect(code, `${stderr.slice(-1500)}\n${stdout.slice(-1500)}`).toBe(0);
    expect(stderr).toMatch(/signing secret \(shown once\): whsec_/);
    expect(stdout).toContain('returned: 6*7 = 42');
    expect(stdout).toMatch(/"tools":0\.01\b/);
    expect(stdout).toMatch(/"successful_calls":1\b/);
  });
});
