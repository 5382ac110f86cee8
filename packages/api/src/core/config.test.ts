import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EnvSchema, loadConfig } from './config.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CONFIG_MODULE = 'packages/api/src/core/config.ts';

/*
 * The platform's code: every package's src/ and the host (apps/api/src). Tests, benchmarks, the
 * example app and the dashboard's dev server read knobs of their own, documented where they are
 * used; the lint rule no-restricted-properties keeps process.env out of everything else.
 */
function platformSources(): string[] {
  const roots = [
    ...readdirSync(path.join(ROOT, 'packages')).map((name) => path.join('packages', name, 'src')),
    path.join('apps', 'api', 'src'),
  ];
  return roots.flatMap((root) =>
    readdirSync(path.join(ROOT, root), { recursive: true, encoding: 'utf8' })
      .filter((file) => /\.tsx?$/.test(file) && !/\.test\.tsx?$/.test(file) && !file.split(path.sep).includes('generated'))
      .map((file) => path.join(root, file)),
  );
}

interface EnvRead {
  name: string;
  at: string;
}

/** Every environment variable a file reads by name, and the reads whose name cannot be known. */
function envReads(file: string, source: string): { reads: EnvRead[]; dynamic: string[] } {
  const reads: EnvRead[] = [];
  const dynamic: string[] = [];
  const lineOf = (index: number) => `${file}:${source.slice(0, index).split('\n').length}`;
  // In the config module `env` is the parsed environment; elsewhere only process.env counts.
  const object = file === CONFIG_MODULE ? String.raw`(?:process\.)?env` : String.raw`process\.env`;
  for (const match of source.matchAll(new RegExp(String.raw`\b${object}\??\.([A-Za-z_][A-Za-z0-9_]*)`, 'g'))) {
    reads.push({ name: match[1]!, at: lineOf(match.index) });
  }
  for (const match of source.matchAll(new RegExp(String.raw`\b${object}\[\s*(?:'([^']*)'|"([^"]*)"|([^\]]*))\]`, 'g'))) {
    const name = match[1] ?? match[2];
    if (name === undefined) dynamic.push(`${lineOf(match.index)}: ${match[0]}`);
    else reads.push({ name, at: lineOf(match.index) });
  }
  for (const match of source.matchAll(/\{([^{}]*)\}\s*=\s*process\.env\b/g)) {
    for (const binding of match[1]!.split(',')) {
      const name = binding.split(':')[0]!.replace('...', '').trim();
      if (name && !binding.includes('...')) reads.push({ name, at: lineOf(match.index) });
    }
  }
  return { reads, dynamic };
}

/** The variables named in the first column of the README's Environment table. */
function documentedVariables(): Set<string> {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## Environment$/m)[1]?.split(/^## /m)[0];
  if (!section) throw new Error('README.md has no "## Environment" section');
  const names = new Set<string>();
  for (const row of section.split('\n').filter((line) => line.startsWith('| `'))) {
    const firstCell = row.split('|')[1]!;
    for (const [, name] of firstCell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.add(name!);
  }
  return names;
}

describe('environment variables', () => {
  const files = platformSources();
  const scanned = files.map((file) => envReads(file, readFileSync(path.join(ROOT, file), 'utf8')));
  const reads = scanned.flatMap(({ reads }) => reads);
  const documented = documentedVariables();

  it('finds the reads it checks (the scan sees the config module)', () => {
    expect(files).toContain(CONFIG_MODULE);
    expect(reads.map(({ name }) => name)).toEqual(expect.arrayContaining(['PORT', 'DATABASE_URL', 'MAAS_RATE_LIMIT_NAMESPACE']));
  });

  it('reads every variable by a name written in the code, so that the scan sees it', () => {
    expect(scanned.flatMap(({ dynamic }) => dynamic)).toEqual([]);
  });

  it("lists every variable the code reads in the README's Environment table", () => {
    const missing = reads.filter(({ name }) => !documented.has(name)).map(({ name, at }) => `${name} (${at})`);
    expect(missing).toEqual([]);
  });

  it('lists every variable of the config schema in the README, and no variable nothing reads', () => {
    const schemaNames = Object.keys(EnvSchema.shape);
    expect(schemaNames.filter((name) => !documented.has(name))).toEqual([]);
    const read = new Set([...schemaNames, ...reads.map(({ name }) => name)]);
    expect([...documented].filter((name) => !read.has(name))).toEqual([]);
  });
});

describe('loadConfig', () => {
  it('gives the defaults the README states when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      dataDir: './.data',
      publicUrl: 'http://localhost:3000',
      signupCreditNano: 10_000_000_000n,
      seedDemoData: true,
      rateLimits: { authenticated: 1000, anonymous: 100, modelCalls: 100 },
      rateLimitNamespace: 'maas',
      refreshTokenTtlSeconds: 30 * 24 * 3600,
      sessionCacheTtlMs: 30_000,
      allowPrivateUpstreams: false,
      paymentSandbox: true,
      billingLeases: true,
      corsOrigins: [],
      logLevel: 'info',
    });
    const secrets = { MAAS_JWT_SECRET: 'j'.repeat(40), MAAS_ENCRYPTION_KEY: 'e'.repeat(40) };
    expect(loadConfig({ NODE_ENV: 'production', ...secrets })).toMatchObject({ paymentSandbox: false, seedDemoData: false });
    expect(loadConfig({ NODE_ENV: 'production', ...secrets, MAAS_SEED_DEMO: '1' }).seedDemoData).toBe(true);
  });

  it('refuses to start in production without MAAS_JWT_SECRET and MAAS_ENCRYPTION_KEY, naming what is missing', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/requires MAAS_JWT_SECRET and MAAS_ENCRYPTION_KEY; refusing to start/);
    expect(() => loadConfig({ NODE_ENV: 'production', MAAS_JWT_SECRET: 'j'.repeat(40) })).toThrow(/requires MAAS_ENCRYPTION_KEY;/);
    expect(() => loadConfig({ NODE_ENV: 'production', MAAS_ENCRYPTION_KEY: 'e'.repeat(40) })).toThrow(/requires MAAS_JWT_SECRET;/);
  });

  it('reads an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', MAAS_RATE_LIMIT_NAMESPACE: '', MAAS_SEED_DEMO: '' })).toMatchObject({
      port: 3000,
      rateLimitNamespace: 'maas',
      seedDemoData: true,
    });
  });

  it('reads what is set', () => {
    const config = loadConfig({
      MAAS_RATE_LIMIT_NAMESPACE: 'blue',
      MAAS_REFRESH_TOKEN_TTL_SECONDS: '600',
      MAAS_BILLING_LEASES: '0',
      MAAS_PAYMENT_SANDBOX: 'on',
      MAAS_CORS_ORIGINS: 'https://a.example, https://b.example',
      MAAS_PUBLIC_URL: 'https://maas.example.com/',
      TRUST_PROXY: '2',
    });
    expect(config).toMatchObject({
      rateLimitNamespace: 'blue',
      refreshTokenTtlSeconds: 600,
      billingLeases: false,
      paymentSandbox: true,
      corsOrigins: ['https://a.example', 'https://b.example'],
      publicUrl: 'https://maas.example.com',
      trustProxy: 2,
    });
  });

  it.each([
    ['PORT', 'eighty', /PORT must be a non-negative integer, got "eighty"/],
    ['MAAS_REFRESH_TOKEN_TTL_SECONDS', '1.5', /MAAS_REFRESH_TOKEN_TTL_SECONDS must be a non-negative integer/],
    ['MAAS_KEEP_ALIVE_TIMEOUT_MS', '0', /MAAS_KEEP_ALIVE_TIMEOUT_MS must be a positive integer, got "0"/],
    ['MAAS_SEED_DEMO', 'maybe', /MAAS_SEED_DEMO must be one of 1, true, yes, on, 0, false, no, off; got "maybe"/],
    ['MAAS_SIGNUP_CREDIT', '1.2.3', /MAAS_SIGNUP_CREDIT must be an amount with at most 9 decimals, got "1.2.3"/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "loud"/],
  ])('refuses %s=%s with a message naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('names every variable at fault at once', () => {
    expect(() => loadConfig({ PORT: '-1', MAAS_PLATFORM_FEE_PERCENT: 'ten' })).toThrow(
      /^Invalid environment: PORT must be .*; MAAS_PLATFORM_FEE_PERCENT must be /,
    );
  });

  it('configures Stripe with both secrets or neither, and reads MAAS_STRIPE_API_BASE as host, port and protocol', () => {
    expect(loadConfig({}).stripe).toBeNull();
    expect(() => loadConfig({ MAAS_STRIPE_SECRET_KEY: 'sk_test_x' })).toThrow(/MAAS_STRIPE_WEBHOOK_SECRET/);
    expect(() => loadConfig({ MAAS_STRIPE_WEBHOOK_SECRET: 'whsec_x' })).toThrow(/MAAS_STRIPE_SECRET_KEY/);
    const both = { MAAS_STRIPE_SECRET_KEY: 'sk_test_x', MAAS_STRIPE_WEBHOOK_SECRET: 'whsec_x' };
    expect(loadConfig(both).stripe).toEqual({ secretKey: 'sk_test_x', webhookSecret: 'whsec_x', apiBase: null });
    expect(loadConfig({ ...both, MAAS_STRIPE_API_BASE: 'http://127.0.0.1:12111' }).stripe?.apiBase).toEqual({
      protocol: 'http',
      host: '127.0.0.1',
      port: 12111,
    });
    expect(() => loadConfig({ ...both, MAAS_STRIPE_API_BASE: 'ftp://stripe' })).toThrow(/MAAS_STRIPE_API_BASE/);
  });
});
