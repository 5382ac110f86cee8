/**
 * The admin's walks of the browser test (test/e2e.test.ts runs them in order, in its one browser):
 * a provider and a model routed to a strict mock upstream, a model file, the audit log and
 * redemption codes, and every screen in both languages at both sizes with the overflow check.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { type MockUpstream, type TestServer, tinyModelBytes } from '../../api/test/kit/index.js';
import { findOverflows, VIEWPORTS } from './e2e-layout.js';

export const UI_TIMEOUT = 20_000;
export const UPSTREAM_KEY = 'sk-e2e-upstream-key';

/** The test's browser page, servers and helpers, as they are when a walk starts. */
export interface World {
  page: Page;
  web: TestServer;
  upstream: MockUpstream;
  userDataDir: string;
  go: (route: string) => Promise<void>;
  shot: (name: string) => Promise<void>;
  apiStatus: (path: string) => Promise<number>;
  /** The bearer token the page sent last. */
  token: () => string | null;
  /** Routes the walks reached that the screen sweep covers too (a playground, a tool's usage). */
  extraScreens: string[];
}

export async function adminAddsProviderAndModel(w: World): Promise<void> {
  const { page, upstream, go, shot } = w;
  await go('providers');
  await page.getByRole('heading', { name: 'Providers' }).waitFor();
  await page.getByRole('button', { name: 'New provider' }).click();
  const form = page.getByRole('form', { name: 'New provider' });
  await form.getByLabel('Name').fill('e2e-upstream');
  await form.getByLabel('Kind').selectOption('openai-compatible');
  await form.getByLabel('Base URL').fill(upstream.url);
  await form.getByLabel('API key').fill(UPSTREAM_KEY);
  await form.getByLabel('Floor per input token').fill('0.000001');
  await form.getByLabel('Floor per output token').fill('0.000002');
  await form.getByRole('button', { name: 'Create' }).click();
  const row = page.getByTestId('providers').getByRole('row').filter({ hasText: 'e2e-upstream' });
  await row.getByText('Set (hidden)').waitFor();
  await row.getByText('OpenAI-compatible').waitFor();
  // Test the connection: the mock lists its models for the right key.
  const listed = upstream.requests.length;
  await row.getByRole('button', { name: 'Test connection' }).click();
  await expect.poll(() => row.getByTestId('connection-test').textContent()).toMatch(/^Connected in \d+ ms\.$/);
  expect(upstream.requests.slice(listed).some((r) => r.url === '/v1/models' && r.headers.authorization === `Bearer ${UPSTREAM_KEY}`)).toBe(
    true,
  );
  await shot('13-providers');
  // Edit: a longer timeout, the key kept.
  await row.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('form', { name: 'Edit provider' });
  await edit.getByLabel('Timeout (ms)').fill('15000');
  await edit.getByRole('button', { name: 'Save' }).click();
  await expect.poll(() => edit.count()).toBe(0);

  await go('models');
  await page.getByRole('button', { name: 'New model' }).click();
  const editor = page.getByRole('form', { name: 'New model' });
  await editor.getByLabel('Name').fill('e2e-routed');
  await editor.getByLabel('Visibility').selectOption('public');
  await editor.getByLabel('per input token', { exact: true }).fill('0.000002');
  await editor.getByLabel('per output token', { exact: true }).fill('0.000004');
  await editor.getByLabel('per image').fill('0.04');
  await editor.getByRole('button', { name: '+ Add a route' }).click();
  await editor.getByLabel('Provider').selectOption({ label: 'e2e-upstream' });
  await editor.getByLabel('Upstream model').fill('mock-ok');
  await shot('14-model-editor');
  await editor.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('heading', { name: 'e2e-routed' }).waitFor();

  // Edit it: its pricing and route come back, the status changes.
  const card = page.locator('article').filter({ has: page.getByRole('heading', { name: 'e2e-routed' }) });
  await card.getByRole('button', { name: 'Edit' }).click();
  const modelForm = page.getByRole('form', { name: 'Edit model' });
  await expect.poll(() => modelForm.getByLabel('per image').inputValue()).toBe('0.04');
  await expect.poll(() => modelForm.getByLabel('Upstream model').inputValue()).toBe('mock-ok');
  await modelForm.getByLabel('Description').fill('routed to the mock upstream');
  await modelForm.getByRole('button', { name: 'Save' }).click();
  await page.getByText('routed to the mock upstream').waitFor();

  await go('apps');
  await page.getByRole('button', { name: 'New application' }).click();
  await page.getByLabel('Name').fill('Upstream app');
  await page.getByLabel('Model').selectOption({ label: 'e2e-routed' });
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  const app = page.getByTestId('app-item').filter({ hasText: 'Upstream app' });
  await app.getByRole('button', { name: 'Open playground' }).click();
  await page.getByLabel('Message').fill('ping the upstream');
  await page.getByLabel('Message').press('Enter');
  await expect
    .poll(() => page.getByTestId('transcript').locator('[data-role=assistant]').first().textContent(), { timeout: UI_TIMEOUT })
    .toContain('You said: ping the upstream.');
  const call = upstream.requests.find((r) => r.url.endsWith('/chat/completions'));
  expect(call?.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
  expect(call?.body?.model).toBe('mock-ok');
  await shot('15-playground-upstream');
}

export async function uploadsModelFile(w: World): Promise<void> {
  const { page, userDataDir, go } = w;
  const file = join(userDataDir, 'tiny.gguf');
  writeFileSync(file, tinyModelBytes());
  await go('models');
  await page.getByRole('button', { name: 'New model' }).click();
  const editor = page.getByRole('form', { name: 'New model' });
  await editor.getByLabel('Name').fill('e2e-file-model');
  await editor.getByLabel('Upload a GGUF file').setInputFiles(file);
  await editor.getByTestId('model-file').getByText(/file_/).waitFor();
  await editor.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('heading', { name: 'e2e-file-model' }).waitFor();
}

export async function auditsAndMintsCodes(w: World): Promise<void> {
  const { page, go } = w;
  await go('admin');
  await page.reload();
  await page.getByRole('cell', { name: 'Added a provider' }).first().waitFor();
  await page.getByRole('cell', { name: 'Wallet: sign-up credit' }).first().waitFor();
  const mint = page.getByRole('form', { name: 'Redemption codes' });
  await mint.getByLabel('How many').fill('2');
  await mint.getByLabel('Amount').fill('3');
  await mint.getByRole('button', { name: 'Mint codes' }).click();
  const codes = ((await page.getByTestId('minted-codes').textContent()) ?? '').split('\n').filter(Boolean);
  expect(codes).toHaveLength(2);
  await go('wallet');
  const redeem = page.getByRole('form', { name: 'Redeem a code' });
  await redeem.getByLabel('Code').fill(codes[0]!);
  await redeem.getByRole('button', { name: 'Redeem' }).click();
  await page.getByText('Redeemed: CN¥3.00 added to your wallet.').waitFor();
  // The ledger entry: a redemption, referenced by the code's id.
  await page.getByRole('cell', { name: 'Redemption code', exact: true }).first().waitFor();
  await expect
    .poll(() =>
      page
        .getByTestId('ledger')
        .locator('code', { hasText: /^rcode_/ })
        .count(),
    )
    .toBeGreaterThan(0);
  // A second redemption of the same code is refused, in the API's words.
  await redeem.getByLabel('Code').fill(codes[0]!);
  await redeem.getByRole('button', { name: 'Redeem' }).click();
  await redeem.getByRole('alert').waitFor();
}

export async function everyScreenFits(w: World): Promise<void> {
  const { page, go, shot } = w;
  const screens = [
    'overview',
    'models',
    'apps',
    'keys',
    'wallet',
    'tools',
    'publish',
    'community',
    'profile',
    'providers',
    'admin',
    ...w.extraScreens,
  ];
  const problems: string[] = [];
  for (const locale of ['en', 'zh-CN'] as const) {
    await page.getByTestId('language').selectOption(locale);
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize({ width: viewport.width, height: viewport.height });
      for (const screen of screens) {
        await go(screen);
        await page.locator('main h1').first().waitFor();
        await expect.poll(() => page.locator('.loading').count()).toBe(0);
        if (screen === 'overview') await page.getByTestId('chart-daily').locator('svg').first().waitFor();
        await shot(`screens/${locale}-${viewport.name}-${screen.replace(/\W+/g, '-')}`);
        for (const problem of await findOverflows(page)) problems.push(`${locale} ${viewport.name} ${screen}: ${problem}`);
      }
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByTestId('language').selectOption('en');
  expect(problems).toEqual([]);
}

export async function navCollapses(w: World): Promise<void> {
  const { page, go } = w;
  await page.setViewportSize({ width: 390, height: 844 });
  await go('overview');
  const nav = page.getByRole('navigation', { name: 'Main menu' });
  expect(await nav.isVisible()).toBe(false);
  await page.getByRole('button', { name: 'Menu' }).click();
  await nav.getByRole('link', { name: 'Wallet' }).click();
  await page.getByRole('heading', { name: 'Wallet' }).waitFor();
  expect(await nav.isVisible()).toBe(false);
  await page.setViewportSize({ width: 1280, height: 800 });
}

/**
 * An expired access token is refreshed once, with rotation, however many requests need it at the
 * same moment: the page's clock jumps past the token's hour, then a screen fires its queries.
 */
export async function expiredTokenRefreshesOnce(w: World): Promise<void> {
  const { page, go, token } = w;
  const base = Date.now();
  await page.clock.setFixedTime(base);
  await go('overview');
  await page.reload(); // the access token was in memory: this load refreshes once to get one
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await expect.poll(() => page.locator('.loading').count()).toBe(0);
  const before = token();
  const refreshes: number[] = [];
  const onResponse = (response: { url(): string; status(): number }) => {
    if (response.url().endsWith('/api/v1/auth/refresh')) refreshes.push(response.status());
  };
  page.on('response', onResponse);
  try {
    await page.clock.setFixedTime(base + 2 * 3600_000);
    // The wallet fires a tRPC batch and a REST call at once: both wait for the same refresh.
    await go('wallet');
    await page.getByRole('heading', { name: 'Wallet' }).waitFor();
    await expect.poll(() => page.locator('.loading').count()).toBe(0);
    await expect.poll(() => refreshes).toEqual([200]);
    expect(token()).not.toBe(before);
  } finally {
    page.off('response', onResponse);
  }
}
