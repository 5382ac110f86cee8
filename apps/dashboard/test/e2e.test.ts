/**
 * The dashboard in a real browser (Debian's chromium driven by playwright-core) against a real
 * API server: the built assets are served by the API host itself through registerDashboardRoutes,
 * on a second instance over the same database (same origin, so no proxy and no CORS).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { registerDashboardRoutes } from '../../api/src/routes/dashboard.js';
import {
  type MockUpstream,
  setRole,
  startMockUpstream,
  startPeerServer,
  startTestServer,
  type TestServer,
} from '../../api/test/kit/index.js';
import { initialJs, INITIAL_JS_BUDGET } from '../scripts/bundle-size.mjs';
import {
  adminAddsProviderAndModel,
  auditsAndMintsCodes,
  everyScreenFits,
  expiredTokenRefreshesOnce,
  navCollapses,
  UI_TIMEOUT,
  UPSTREAM_KEY,
  uploadsModelFile,
  type World,
} from './e2e-admin.js';
import { authorPublishesAndSeesUsage, developerChatsWithCalculator, freePort, type GreeterServer, startGreeter } from './e2e-tools.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const dist = join(root, 'dist');
const shots = join(root, 'test-results');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let api: TestServer;
let web: TestServer;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
let upstream: MockUpstream;
let greeter: GreeterServer;
const extraScreens: string[] = [];
/** The bearer token the page sent last (the access token lives in the page's memory only). */
let lastToken: string | null = null;

const username = `e2e_${process.pid}_${Math.random().toString(36).slice(2, 6)}`;
const password = 'correct-horse-battery';

async function shot(name: string) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function go(route: string) {
  await page.goto(`${web.url}/#/${route}`);
}

/** What the server answers the REST API with the page's current access token. */
async function apiStatus(path: string, token = lastToken): Promise<number> {
  const response = await fetch(`${web.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return response.status;
}

function world(): World {
  return { page, web, upstream, userDataDir, go, shot, apiStatus: (path) => apiStatus(path), token: () => lastToken, extraScreens };
}

async function promote(role: 'developer' | 'admin') {
  const row = await api.server.platform.db.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow();
  await setRole(api, row.id, role);
  await setRole(web, row.id, role);
}

async function signIn() {
  await page.goto(web.url);
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
}

async function signOut() {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
}

describe.skipIf(!existsSync(CHROMIUM))('dashboard in a real browser', () => {
  beforeAll(async () => {
    await build({ root, logLevel: 'warn', configFile: join(root, 'vite.config.ts') });
    mkdirSync(shots, { recursive: true });
    upstream = await startMockUpstream({ requireApiKey: UPSTREAM_KEY });
    greeter = await startGreeter();
    // The seeded demo calculator and clock are served by the API itself, at its public URL.
    const port = await freePort();
    api = await startTestServer({
      PORT: String(port),
      MAAS_PUBLIC_URL: `http://127.0.0.1:${port}`,
      MAAS_SEED_DEMO: '1',
      MAAS_SIGNUP_CREDIT: '100',
    });
    web = await startPeerServer(api, {}, async (server) => {
      expect(await registerDashboardRoutes(server.app, dist)).toBe(true);
    });
    userDataDir = mkdtempSync(join(tmpdir(), 'maas-dashboard-e2e-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 800 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(UI_TIMEOUT);
    page.on('dialog', (dialog) => void dialog.accept());
    page.on('request', (request) => {
      const auth = request.headers().authorization;
      if (auth?.startsWith('Bearer ')) lastToken = auth.slice('Bearer '.length);
    });
  }, 240_000);

  beforeEach((test) => {
    onTestFailed(async () => {
      await shot(`failed-${test.task.name.slice(0, 40).replace(/\W+/g, '-')}`).catch(() => undefined);
    });
  });

  afterAll(async () => {
    await context?.close();
    await web?.close();
    await api?.close();
    await upstream?.close();
    await greeter?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('serves the app at / and client routes, but never shadows API paths', async () => {
    const index = await fetch(`${web.url}/`);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<div id="root">');
    const deep = await fetch(`${web.url}/some/client/route`);
    expect(deep.status).toBe(200);
    expect(deep.headers.get('content-type')).toContain('text/html');
    for (const path of ['/api/v1/nope', '/v1/nope', '/trpc/nope.nope', '/metrics/nope']) {
      const response = await fetch(`${web.url}${path}`);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type'), path).toContain('application/json');
    }
    expect((await fetch(`${web.url}/healthz`)).status).toBe(200);
  });

  it('keeps the first load under 300 kB of gzipped JavaScript (one chunk per screen)', () => {
    const signIn = initialJs(dist);
    const withOverview = initialJs(dist, ['src/screens/Overview.tsx']);
    expect(signIn.gzipBytes).toBeLessThan(INITIAL_JS_BUDGET);
    expect(withOverview.gzipBytes).toBeLessThan(INITIAL_JS_BUDGET);
  });

  it('shows the API error message in the chosen language, then registers and signs in', async () => {
    await page.goto(web.url);
    await page.getByRole('heading', { name: '登录' }).waitFor();
    await page.getByTestId('language').selectOption('en');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();

    await page.getByLabel('Username or email').fill('nobody_here');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Invalid username or password');
    await shot('01-login-error');

    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Email').fill(`${username}@example.com`);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByText('No usage yet').waitFor();
    await shot('02-overview-empty');
  });

  it('lists and filters the model catalogue', async () => {
    await go('models');
    await page.getByRole('heading', { name: 'demo-chat', exact: true }).waitFor();
    await page.getByLabel('Category').selectOption('image');
    await page.getByRole('heading', { name: 'demo-image-sketch' }).waitFor();
    await expect.poll(() => page.getByRole('heading', { name: 'demo-chat', exact: true }).count()).toBe(0);
    await page.getByLabel('Category').selectOption('');
    await page.getByLabel('Search').fill('zzz-no-such-model');
    await page.getByText('Nothing here yet.').waitFor();
    await page.getByLabel('Search').fill('');
    await page.getByRole('heading', { name: 'demo-chat', exact: true }).waitFor();
    await shot('03-models');
  });

  it('tops up in the sandbox', async () => {
    await go('wallet');
    await page.getByRole('heading', { name: 'Wallet' }).waitFor();
    const form = page.getByRole('form', { name: 'Top up' });
    await form.getByLabel('Amount').fill('25');
    await form.getByLabel('Payment').selectOption('sandbox');
    await form.getByRole('button', { name: 'Top up' }).click();
    await page.getByText(/Added CN¥25\.00 to your wallet/).waitFor();
    await page.getByTestId('top-ups').getByText('Sandbox (test payment)').first().waitFor();
    await page.getByTestId('top-ups').getByText('Completed').first().waitFor();
    await page.getByRole('cell', { name: 'Top-up', exact: true }).first().waitFor();
    await shot('08-wallet-top-up');
  });

  it('buys a tool with the wallet balance and lists it as owned', async () => {
    await go('tools');
    const card = page.getByTestId('tool-card').filter({ hasText: 'AI 代码生成器' });
    await card.getByRole('button', { name: 'Buy' }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirm the purchase' });
    await dialog.getByText('Buy AI 代码生成器 for').waitFor();
    await shot('07-tools-confirm');
    // Cancel spends nothing; confirming buys.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    await card.getByRole('button', { name: 'Buy' }).click();
    await dialog.getByRole('button', { name: 'Pay and buy' }).click();
    await page.getByText('Purchased AI 代码生成器.').waitFor();
    await expect.poll(() => page.getByTestId('balance-after').textContent()).toMatch(/Balance now CN¥\d/);
    await card.getByText('Owned').waitFor();
    await shot('07-tools');
    await page.getByRole('tab', { name: /My tools/ }).click();
    await page.getByTestId('owned-tools').getByText('AI 代码生成器').waitFor();

    await go('wallet');
    await page.getByRole('cell', { name: 'Tool purchase' }).waitFor();
    await page.getByRole('cell', { name: 'Sign-up credit', exact: true }).waitFor();
    await shot('08-wallet');
  });

  it('creates an API key (shown once) and revokes it', async () => {
    await go('keys');
    await page.getByText('Nothing here yet.').waitFor();
    await page.getByLabel('Name').fill('ci key');
    await page.getByRole('button', { name: 'New key' }).click();
    expect(await page.getByTestId('created-key').textContent()).toMatch(/^sk-/);
    await page.getByRole('cell', { name: 'ci key' }).waitFor();
    await shot('09-api-keys');
    await page.getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('Nothing here yet.').waitFor();
  });

  it('creates a community post, likes it and comments on it', async () => {
    await go('community');
    await page.getByLabel('Title').fill('Hello from e2e');
    await page.getByLabel('Content').fill('Posted by a real browser.');
    await page.getByRole('button', { name: 'Publish' }).click();
    const post = page.getByTestId('post').filter({ hasText: 'Hello from e2e' });
    await post.waitFor();
    await post.getByTestId('like').click();
    await expect.poll(() => post.getByTestId('likes').textContent()).toBe('1 likes');
    await post.getByRole('button', { name: 'Unlike' }).waitFor();
    await post.getByRole('button', { name: /Comments/ }).click();
    await post.getByLabel('Add a comment').fill('first!');
    await post.getByRole('button', { name: 'Comment', exact: true }).click();
    await post.getByText('first!').waitFor();
    await shot('10-community');
  });

  it('promotes the account to developer', async () => {
    await promote('developer');
    await signOut();
    await signIn();
  });

  it('creates an application, streams a chat in the playground and continues the conversation', async () => {
    await go('apps');
    await page.getByText('Nothing here yet.').waitFor();
    await page.getByRole('button', { name: 'New application' }).click();
    await page.getByLabel('Name').fill('E2E assistant');
    await page.getByLabel('Description').fill('made by the browser test');
    await page.getByLabel('Model').selectOption({ label: 'demo-chat' });
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByRole('heading', { name: 'E2E assistant' }).waitFor();
    await shot('04-applications');

    await page.getByRole('button', { name: 'Open playground' }).click();
    await page.getByRole('heading', { name: 'Playground: E2E assistant' }).waitFor();
    await page.getByLabel('Message').fill('hello from the dashboard');
    await page.getByLabel('Message').press('Enter');
    const transcript = page.getByTestId('transcript');
    await transcript.locator('[data-role=assistant]').first().waitFor();
    await expect
      .poll(() => transcript.locator('[data-role=assistant]').first().textContent(), { timeout: UI_TIMEOUT })
      .toContain('demo-echo');
    await page.getByTestId('chat-cost').waitFor();
    await page.getByTestId('conversation').first().waitFor();
    expect(await page.getByTestId('conversation').count()).toBe(1);
    await shot('05-playground');

    // Leave the conversation, come back to it from the list, and continue it.
    await page.getByRole('button', { name: '+ New conversation' }).click();
    await page.getByText('Say something to start a conversation.').waitFor();
    await page.getByTestId('conversation').first().click();
    await expect.poll(() => transcript.locator('[data-role=user]').count()).toBe(1);
    await page.getByLabel('Message').fill('second message');
    await page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => transcript.locator('[data-role=assistant]').count(), { timeout: UI_TIMEOUT }).toBe(2);
    await expect.poll(() => page.getByTestId('conversation').first().textContent()).toContain('(4)');
    expect(await page.getByTestId('conversation').count()).toBe(1);
  });

  it('shows usage charts per day, model and application once there is usage', async () => {
    // Usage records are written off the response path: wait until both calls are recorded.
    await expect
      .poll(
        async () => {
          const response = await fetch(`${web.url}/api/v1/usage`, { headers: { authorization: `Bearer ${lastToken}` } });
          return ((await response.json()) as { totals: { calls: number } }).totals.calls;
        },
        { timeout: UI_TIMEOUT },
      )
      .toBe(2);
    await go('overview');
    await page.reload();
    await page.getByTestId('chart-daily').locator('svg').first().waitFor();
    await page.getByTestId('chart-models').getByText('demo-chat').first().waitFor();
    await page.getByTestId('chart-apps').getByText('E2E assistant').first().waitFor();
    await shot('06-overview-charts');
  });

  it('attaches a free callable tool to the application in the playground, and detaches it', async () => {
    const db = api.server.platform.db;
    const author = await db
      .selectFrom('users')
      .select('id')
      .where('username', '!=', username)
      .orderBy('created_at')
      .executeTakeFirstOrThrow();
    const toolId = `tool_e2e${process.pid}`;
    await db
      .insertInto('tools')
      .values({
        id: toolId,
        author_id: author.id,
        name: 'E2E weather',
        description: 'a callable tool',
        full_description: '',
        category: 'data',
        version: '1.0.0',
        price_nano: 0n,
        currency: 'CNY',
        status: 'published',
        kind: 'http',
      })
      .execute();
    const parameters = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    await db
      .insertInto('tool_versions')
      .values({
        tool_id: toolId,
        version: '1.0.0',
        kind: 'http',
        endpoint_url: 'https://tools.example.com/weather',
        server_url: null,
        functions: JSON.stringify([{ name: 'get_weather', description: 'Weather', parameters }]),
      })
      .execute();

    await go('apps');
    await page.getByRole('button', { name: 'Open playground' }).click();
    const tools = page.getByTestId('app-tools');
    await tools.getByText('No tools attached.').waitFor();
    await tools.getByLabel('Attach').selectOption({ label: 'E2E weather' });
    await tools.getByRole('button', { name: 'Attach' }).click();
    await tools.getByTestId('app-tool').getByText('t_e2e_weather__get_weather').waitFor();
    await shot('06-app-tools');
    await tools.getByRole('button', { name: 'Detach' }).click();
    await tools.getByText('No tools attached.').waitFor();
  });

  it('lets a developer attach the demo calculator to a new app and see its tool call and result in the playground', async () => {
    extraScreens.push(await developerChatsWithCalculator(world()));
  });

  it('lets an author publish a tool, see its signing secret once, publish a version and see its usage', async () => {
    extraScreens.push(await authorPublishesAndSeesUsage(world(), greeter));
  });

  it('lets a developer edit and delete an application', async () => {
    await go('apps');
    await page.getByRole('button', { name: 'New application' }).click();
    await page.getByLabel('Name').fill('Short-lived app');
    await page.getByLabel('Model').selectOption({ label: 'demo-chat' });
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const item = page.getByTestId('app-item').filter({ hasText: 'Short-lived app' });
    await item.waitFor();
    await item.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Name').fill('Renamed app');
    await page.getByRole('button', { name: 'Save' }).click();
    const renamed = page.getByTestId('app-item').filter({ hasText: 'Renamed app' });
    await renamed.waitFor();
    await renamed.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete the application' }).getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => page.getByTestId('app-item').filter({ hasText: 'Renamed app' }).count()).toBe(0);
    await page.getByRole('heading', { name: 'E2E assistant' }).waitFor();
  });

  it('keeps the session across a reload with a rotated refresh token, and changes the profile', async () => {
    const before = await page.evaluate(() => sessionStorage.getItem('maas.refresh'));
    expect(before).toBeTruthy();
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(lastToken ?? '-');
    const refreshed = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/refresh') && r.status() === 200);
    await go('profile');
    await page.reload();
    await refreshed;
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    const after = await page.evaluate(() => sessionStorage.getItem('maas.refresh'));
    expect(after).toBeTruthy();
    expect(after).not.toBe(before);
    await page.getByLabel('Avatar URL').fill('https://example.com/me.png');
    await page.getByRole('form', { name: 'Profile' }).getByRole('button', { name: 'Save' }).click();
    await page.getByText('Profile saved.').waitFor();
    const passwordForm = page.getByRole('form', { name: 'Password' });
    await passwordForm.getByLabel('Current password').fill('not-my-password');
    await passwordForm.getByLabel('New password').fill('another-horse-battery');
    await passwordForm.getByRole('button', { name: 'Change password' }).click();
    await passwordForm.getByRole('alert').waitFor();
    await shot('12-profile');
  });

  it('shows the admin screens only to administrators', async () => {
    expect(await page.getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await promote('admin');
    await go('admin');
    await page.reload();
    await page.getByRole('heading', { name: 'Administration' }).waitFor();
    await page.getByRole('cell', { name: username, exact: true }).waitFor();
    await page.getByRole('cell', { name: 'demo-chat', exact: true }).first().waitFor();
    await shot('11-admin');

    // Top up the user's own wallet and see it in the audit log.
    const me = (await (await fetch(`${web.url}/api/v1/users/profile`, { headers: { authorization: `Bearer ${lastToken}` } })).json()) as {
      id: string;
    };
    const topUp = page.getByRole('form', { name: 'Wallet top-up' });
    await topUp.getByLabel('User id').fill(me.id);
    await topUp.getByLabel('Amount').fill('5');
    await topUp.getByLabel('Reason').fill('e2e top-up');
    await topUp.getByRole('button', { name: 'Save' }).click();
    await page.getByText(`to ${me.id}.`).waitFor();
    // Admin actions are audited off the response path: reload until the entry is there.
    await expect
      .poll(
        async () => {
          await page.reload();
          await page.getByRole('heading', { name: 'Audit log' }).waitFor();
          return page.getByRole('cell', { name: 'Credited a wallet' }).count();
        },
        { timeout: UI_TIMEOUT, interval: 500 },
      )
      .toBeGreaterThan(0);
  });

  it('lets an admin add a provider and a model routed to a mock upstream, then chat with it', () => adminAddsProviderAndModel(world()));

  it('uploads a model file and creates a model served from it', () => uploadsModelFile(world()));

  it('audits admin actions, mints redemption codes and redeems one once', () => auditsAndMintsCodes(world()));

  it('shows every screen in both languages at 1280×800 and 390×844 with no text out of its box', () => everyScreenFits(world()));

  it('collapses the navigation into a menu on a phone', () => navCollapses(world()));

  it('switches back to Chinese and keeps the choice after a reload', async () => {
    await page.getByTestId('language').selectOption('zh-CN');
    await page.getByRole('link', { name: '概览' }).waitFor();
    await page.reload();
    await page.getByRole('link', { name: '概览' }).waitFor();
    await go('overview');
    await page.getByRole('heading', { name: '概览' }).waitFor();
    await page.getByTestId('language').selectOption('en');
  });

  it('refreshes an expired access token once, with rotation, for requests made together', () => expiredTokenRefreshesOnce(world()));

  it('signs out: the server revokes the session and the old tokens stop working', async () => {
    await go('overview');
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    const token = lastToken;
    const refresh = await page.evaluate(() => sessionStorage.getItem('maas.refresh'));
    expect(await apiStatus('/api/v1/users/profile', token)).toBe(200);
    const logout = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/logout'));
    await signOut();
    expect((await logout).status()).toBe(200);
    expect(await apiStatus('/api/v1/users/profile', token)).toBe(401);
    const reuse = await fetch(`${web.url}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: refresh }),
    });
    expect(reuse.status).toBe(401);
    expect(await page.evaluate(() => sessionStorage.getItem('maas.refresh'))).toBeNull();
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });
});
