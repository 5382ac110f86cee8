/**
 * The tool walks of the browser test (issue 19 part 8), run in order by test/e2e.test.ts: a
 * developer attaches the seeded demo calculator to a new app and chats with it in the playground,
 * and an author publishes a tool (served by a strict HTTP server here that checks the platform's
 * signature with the secret the page showed once), publishes a version, and sees its usage.
 */
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { expect } from 'vitest';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../../../packages/api/src/tools/runtime/signing.js';
import { UI_TIMEOUT, type World } from './e2e-admin.js';
import { findOverflows, VIEWPORTS } from './e2e-layout.js';

/** A port nobody listens on now: the API server's, known before it starts (the demo tools call back to MAAS_PUBLIC_URL). */
/** A port below Linux's ephemeral range (32768–60999), so no outgoing connection takes it before the server binds it. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 12_768);
    const probe = createNetServer();
    const bound = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (bound) {
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      return port;
    }
  }
  throw new Error('no free port between 20000 and 32768 after 50 tries');
}

/** An author's http tool: answers `{"result": "Hello, <name>"}` to a call signed with `secret`, 401 otherwise. */
export interface GreeterServer {
  url: string;
  secret: string | null;
  calls: { function: string; arguments: Record<string, unknown> }[];
  close: () => Promise<void>;
}

export async function startGreeter(): Promise<GreeterServer> {
  const greeter: GreeterServer = { url: '', secret: null, calls: [], close: async () => undefined };
  const server: Server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const signed =
        greeter.secret !== null &&
        verifySignature(greeter.secret, text, {
          timestamp: req.headers[TIMESTAMP_HEADER] as string | undefined,
          signature: req.headers[SIGNATURE_HEADER] as string | undefined,
        });
      res.setHeader('content-type', 'application/json');
      if (req.method !== 'POST' || !signed) {
        res.statusCode = 401;
        res.end(JSON.stringify({ error: 'bad signature' }));
        return;
      }
      const call = JSON.parse(text) as { function: string; arguments: Record<string, unknown> };
      if (call.function !== 'greet' || typeof call.arguments.name !== 'string') {
        res.statusCode = 400;
        res.end(JSON.stringify({ error: 'greet takes {name: string}' }));
        return;
      }
      greeter.calls.push({ function: call.function, arguments: call.arguments });
      res.end(JSON.stringify({ result: `Hello, ${call.arguments.name}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  greeter.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/greet`;
  greeter.close = () => new Promise((resolve) => server.close(() => resolve()));
  return greeter;
}

async function newAppWithTool(w: World, appName: string, toolName: string) {
  const { page, go } = w;
  await go('apps');
  await page.getByRole('button', { name: 'New application' }).click();
  await page.getByLabel('Name').fill(appName);
  await page.getByLabel('Model').selectOption({ label: 'demo-chat' });
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  const app = page.getByTestId('app-item').filter({ hasText: appName });
  await app.getByRole('button', { name: 'Open playground' }).click();
  await page.getByRole('heading', { name: `Playground: ${appName}` }).waitFor();
  const tools = page.getByTestId('app-tools');
  await tools.getByText('No tools attached.').waitFor();
  await tools.getByLabel('Attach').selectOption({ label: toolName });
  await tools.getByRole('button', { name: 'Attach' }).click();
  await tools.getByTestId('app-tool').first().waitFor();
}

async function chat(w: World, message: string) {
  const { page } = w;
  await page.getByLabel('Message').fill(message);
  await page.getByLabel('Message').press('Enter');
}

/** Returns the playground's route, for the screen sweep. */
export async function developerChatsWithCalculator(w: World): Promise<string> {
  const { page, shot } = w;
  await newAppWithTool(w, 'Calculator app', 'Calculator');
  await chat(w, 'use the calculator to compute 2+3*4');
  const step = page.getByTestId('tool-step').first();
  await expect.poll(() => step.getByTestId('tool-call').textContent(), { timeout: UI_TIMEOUT }).toContain('Calls calculate');
  expect(await step.getByTestId('tool-call').textContent()).toContain('"expression":"2+3*4"');
  await expect
    .poll(() => step.getByTestId('tool-result').textContent(), { timeout: UI_TIMEOUT })
    .toMatch(/^Succeeded · CN¥0\.001\d* · \d+ ms$/);
  const answer = page.getByTestId('transcript').locator('[data-role=assistant]').last();
  await expect.poll(() => answer.textContent(), { timeout: UI_TIMEOUT }).toContain('14');
  await expect
    .poll(() => page.getByTestId('cost-breakdown').textContent(), { timeout: UI_TIMEOUT })
    .toMatch(/Model CN¥[\d.]+ · tools CN¥0\.001/);
  // The steps stay beside the answer once the stored conversation replaces the streamed one.
  await expect.poll(() => page.getByTestId('transcript').locator('[data-role=user]').count()).toBe(1);
  expect(await page.getByTestId('tool-step').count()).toBe(1);
  await shot('16-playground-tool-call');
  // The steps fit in both languages at both sizes.
  const problems: string[] = [];
  for (const locale of ['zh-CN', 'en'] as const) {
    await page.getByTestId('language').selectOption(locale);
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize({ width: viewport.width, height: viewport.height });
      await page.getByTestId('tool-step').first().waitFor();
      await shot(`screens/${locale}-${viewport.name}-playground-tool-call`);
      for (const problem of await findOverflows(page)) problems.push(`${locale} ${viewport.name}: ${problem}`);
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  expect(problems).toEqual([]);
  return new URL(page.url()).hash.replace(/^#\//, '');
}

/** Returns the route of the tool's versions and usage, for the screen sweep. */
export async function authorPublishesAndSeesUsage(w: World, greeter: GreeterServer): Promise<string> {
  const { page, go, shot } = w;
  await go('publish');
  await page.getByRole('heading', { name: 'My published tools' }).waitFor();
  await page.getByText('You have not published a tool yet.').waitFor();
  await page.getByRole('button', { name: 'Publish a tool' }).click();
  const form = page.getByRole('form', { name: 'Publish a tool' });
  await form.getByLabel('Name', { exact: true }).fill('E2E greeter');
  await form.getByLabel('Kind').selectOption('http');
  await form.getByLabel('Endpoint URL').fill(greeter.url);
  await form.getByLabel('Price', { exact: true }).fill('0');
  await form.getByLabel('Price per call').fill('0.01');
  await form.getByLabel(/^Functions/).fill(
    JSON.stringify([
      {
        name: 'greet',
        description: 'Greets someone',
        parameters: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      },
    ]),
  );
  await form.getByLabel(/^Config schema/).fill('not json');
  await form.getByRole('button', { name: 'Publish' }).click();
  await form.getByText('Functions must be a JSON array and the config schema a JSON object.').waitFor();
  await form.getByLabel(/^Config schema/).fill(JSON.stringify({ type: 'object', properties: { greeting: { type: 'string' } } }));
  await shot('17-publish-tool');
  await form.getByRole('button', { name: 'Publish' }).click();

  // The signing secret, once, with the note and a copy button.
  const secretBox = page.getByTestId('signing-secret');
  await secretBox.getByText('Shown only once: copy it now.', { exact: false }).waitFor();
  await secretBox.getByRole('button', { name: 'Copy' }).waitFor();
  greeter.secret = ((await secretBox.getByTestId('secret-value').textContent()) ?? '').trim();
  expect(greeter.secret.length).toBeGreaterThan(16);
  await shot('18-signing-secret');
  await secretBox.getByRole('button', { name: 'Close' }).click();
  await expect.poll(() => page.getByTestId('signing-secret').count()).toBe(0);

  // Versions: the first one is current; a new one takes its place.
  const row = page.getByTestId('my-tool').filter({ hasText: 'E2E greeter' });
  await row.getByText('HTTP endpoint').waitFor();
  await row.getByRole('button', { name: /Versions/ }).click();
  const versions = page.getByTestId('tool-versions');
  await versions.getByTestId('tool-version').filter({ hasText: '1.0.0' }).getByText('current').waitFor();
  const next = page.getByRole('form', { name: 'Publish a new version' });
  await expect.poll(() => next.getByLabel('Endpoint URL').inputValue()).toBe(greeter.url);
  await next.getByLabel('Version').fill('1.1.0');
  await next.getByRole('button', { name: 'Publish' }).click();
  await versions.getByTestId('tool-version').filter({ hasText: '1.1.0' }).getByText('current').waitFor();
  expect(await versions.getByTestId('tool-version').count()).toBe(2);
  // A rotated secret replaces the old one: shown once again, and the greeter now checks it.
  await page.getByRole('button', { name: 'Rotate the signing secret' }).click();
  const rotated = ((await page.getByTestId('signing-secret').getByTestId('secret-value').textContent()) ?? '').trim();
  expect(rotated).not.toBe(greeter.secret);
  greeter.secret = rotated;
  await page.getByTestId('signing-secret').getByRole('button', { name: 'Close' }).click();
  await page.getByTestId('usage-calls').filter({ hasText: /^0$/ }).waitFor();

  // Call it from an app: the greeter checks the signature and answers.
  await newAppWithTool(w, 'Greeter app', 'E2E greeter');
  await chat(w, 'use greet: Ada');
  const answer = page.getByTestId('transcript').locator('[data-role=assistant]').last();
  await expect.poll(() => answer.textContent(), { timeout: UI_TIMEOUT }).toContain('Hello, Ada');
  expect(greeter.calls).toEqual([{ function: 'greet', arguments: { name: 'Ada' } }]);

  // Its usage: one successful call, charged 0.01, the author credited it less the platform fee.
  await go('publish');
  await page.getByTestId('my-tool').filter({ hasText: 'E2E greeter' }).getByRole('button', { name: /Usage/ }).click();
  const usage = page.getByTestId('tool-usage');
  await expect.poll(() => usage.getByTestId('usage-calls').textContent(), { timeout: UI_TIMEOUT }).toBe('1');
  await expect.poll(() => usage.getByTestId('usage-revenue').textContent()).toMatch(/^CN¥0\.0\d+$/);
  await usage.getByRole('cell', { name: 'Succeeded' }).waitFor();
  await usage.getByRole('cell', { name: /greet 1\.1\.0/ }).waitFor();
  await shot('19-tool-usage');
  return new URL(page.url()).hash.replace(/^#\//, '');
}
