import { loadConfig } from '@maas/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiClient,
  type ApiClient,
  expectEnvelope,
  signUp,
  startPeerServer,
  startTestServer,
  type TestServer,
  NEEDS_REDIS,
  SHARED_REDIS_URL,
  sharedRedisAvailable,
} from '../kit/index.js';

const redisUp = await sharedRedisAvailable();

/*
 * Brute-force protection on POST /api/v1/auth/token (issue #5). The server trusts X-Forwarded-For
 * so each test can play a client network of its own.
 */

const ACCOUNT_LIMIT = 3;
const IP_LIMIT = 8;
const WRONG = 'wrong-password-123';

let server: TestServer;
let api: ApiClient;
const peers: TestServer[] = [];

beforeAll(async () => {
  server = await startTestServer({
    TRUST_PROXY: 'true',
    MAAS_LOGIN_MAX_FAILURES_PER_ACCOUNT: String(ACCOUNT_LIMIT),
    MAAS_LOGIN_MAX_FAILURES_PER_IP: String(IP_LIMIT),
  });
  api = apiClient(server.url);
});
afterAll(async () => {
  for (const peer of peers) await peer.close();
  await server?.close();
});

async function peer(env: Record<string, string>): Promise<ApiClient> {
  const started = await startPeerServer(server, env);
  peers.push(started);
  return apiClient(started.url);
}

let networkCounter = 0;
/** A client address of its own (documentation range), so budgets of different tests never meet. */
function freshIp(): string {
  networkCounter += 1;
  return `203.0.113.${networkCounter}`;
}

function signInFrom(client: ApiClient, ip: string, username: string, password: string, headers: Record<string, string> = {}) {
  return client.post('/api/v1/auth/token', { username, password }, undefined, { 'x-forwarded-for': ip, ...headers });
}

async function statusesOf(client: ApiClient, ip: string, username: string, password: string, times: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < times; i++) statuses.push((await signInFrom(client, ip, username, password)).status);
  return statuses;
}

const repeat = (status: number, times: number) => Array<number>(times).fill(status);

describe('sign-in attempts per account', () => {
  it('answers 429 RATE_LIMITED with Retry-After once an account has failed too often, even for the right password', async () => {
    const user = await signUp(api);
    const ip = freshIp();
    expect(await statusesOf(api, ip, user.username, WRONG, ACCOUNT_LIMIT)).toEqual(repeat(401, ACCOUNT_LIMIT));

    const refused = await signInFrom(api, ip, user.username, user.password, { 'accept-language': 'en' });
    const error = expectEnvelope(refused, 429, 'RATE_LIMITED');
    expect(error.message).toBe('Too many sign-in attempts; try again later');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);

    const zh = await signInFrom(api, ip, user.username, user.password);
    expect(expectEnvelope(zh, 429, 'RATE_LIMITED').message).toBe('登录尝试次数过多，请稍后再试');
  });

  it('refuses on the tRPC face too, with the same status and Retry-After', async () => {
    const user = await signUp(api);
    const ip = freshIp();
    await statusesOf(api, ip, user.username, WRONG, ACCOUNT_LIMIT);
    const res = await api.call('POST', '/trpc/auth.token', {
      body: { username: user.username, password: user.password },
      headers: { 'x-forwarded-for': ip },
    });
    expect(res.status).toBe(429);
    expect(res.body.error.data).toMatchObject({ code: 'RATE_LIMITED', httpStatus: 429 });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('does not run the password hash for a refused attempt', async () => {
    const user = await signUp(api);
    // An argon2 hash whose cost was raised 30-fold: verifying it (always false now) takes long
    // enough that an attempt which reaches argon2 is plainly slower than one refused before it.
    const row = await server.server.platform.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    const slowHash = row.password_hash.replace(/t=\d+/, 't=60');
    expect(slowHash).not.toBe(row.password_hash);
    await server.server.platform.db.updateTable('users').set({ password_hash: slowHash }).where('id', '=', user.id).execute();

    const ip = freshIp();
    const timed = async () => {
      const started = performance.now();
      const res = await signInFrom(api, ip, user.username, user.password);
      return { status: res.status, ms: performance.now() - started };
    };
    const admitted = [];
    for (let i = 0; i < ACCOUNT_LIMIT; i++) admitted.push(await timed());
    const refused = [await timed(), await timed()];
    expect(admitted.map((a) => a.status)).toEqual(repeat(401, ACCOUNT_LIMIT));
    expect(refused.map((r) => r.status)).toEqual([429, 429]);
    const slowestRefusal = Math.max(...refused.map((r) => r.ms));
    const fastestVerify = Math.min(...admitted.map((a) => a.ms));
    expect(slowestRefusal * 4, `refused ${slowestRefusal} ms, verified ${fastestVerify} ms`).toBeLessThan(fastestVerify);
  });

  it('starts the count over after a successful sign-in', async () => {
    const user = await signUp(api);
    const ip = freshIp();
    const failures = ACCOUNT_LIMIT - 1;
    expect(await statusesOf(api, ip, user.username, WRONG, failures)).toEqual(repeat(401, failures));
    expect((await signInFrom(api, ip, user.username, user.password)).status).toBe(200);
    expect(await statusesOf(api, ip, user.username, WRONG, failures)).toEqual(repeat(401, failures));
    expect((await signInFrom(api, ip, user.username, user.password)).status).toBe(200);
  });

  it('counts the username and the email of one account together, case-insensitively', async () => {
    const user = await signUp(api);
    const ip = freshIp();
    const logins = [user.username, user.email.toUpperCase(), user.username.toUpperCase()];
    const statuses = [];
    for (const login of logins) statuses.push((await signInFrom(api, ip, login, WRONG)).status);
    expect(statuses).toEqual(repeat(401, ACCOUNT_LIMIT));
    expect((await signInFrom(api, ip, user.email, user.password)).status).toBe(429);
  });

  it('limits an unknown name exactly like a real account, so the answer reveals nothing', async () => {
    const user = await signUp(api);
    const ghost = `ghost_${user.username}`.slice(0, 32);
    const [realIp, ghostIp] = [freshIp(), freshIp()];
    expect(await statusesOf(api, realIp, user.username, WRONG, ACCOUNT_LIMIT + 1)).toEqual([...repeat(401, ACCOUNT_LIMIT), 429]);
    expect(await statusesOf(api, ghostIp, ghost, WRONG, ACCOUNT_LIMIT + 1)).toEqual([...repeat(401, ACCOUNT_LIMIT), 429]);
    const real = expectEnvelope(await signInFrom(api, realIp, user.username, WRONG), 429, 'RATE_LIMITED');
    const fake = expectEnvelope(await signInFrom(api, ghostIp, ghost, WRONG), 429, 'RATE_LIMITED');
    expect({ ...real, request_id: null }).toEqual({ ...fake, request_id: null });
  });

  it('lets no more than the limit through when guesses arrive all at once', async () => {
    const user = await signUp(api);
    const ip = freshIp();
    const results = await Promise.all(Array.from({ length: 12 }, () => signInFrom(api, ip, user.username, WRONG)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([...repeat(401, ACCOUNT_LIMIT), ...repeat(429, 12 - ACCOUNT_LIMIT)]);
  });

  it('keeps a locked account open to its owner from another network', async () => {
    const user = await signUp(api);
    const attacker = freshIp();
    await statusesOf(api, attacker, user.username, WRONG, ACCOUNT_LIMIT);
    expect((await signInFrom(api, attacker, user.username, user.password)).status).toBe(429);
    expect((await signInFrom(api, freshIp(), user.username, user.password)).status).toBe(200);
  });

  it('counts a client IPv6 network as a whole /64', async () => {
    const user = await signUp(api);
    const statuses = [];
    for (let i = 1; i <= ACCOUNT_LIMIT + 1; i++)
      statuses.push((await signInFrom(api, `2001:db8:77:1::${i.toString(16)}`, user.username, WRONG)).status);
    expect(statuses).toEqual([...repeat(401, ACCOUNT_LIMIT), 429]);
    expect((await signInFrom(api, '2001:db8:77:2::1', user.username, user.password)).status).toBe(200);
  });

  it('opens the account again once its window has passed', async () => {
    const shortWindow = await peer({ MAAS_LOGIN_ACCOUNT_WINDOW_SECONDS: '1' });
    const user = await signUp(api);
    const ip = freshIp();
    await statusesOf(shortWindow, ip, user.username, WRONG, ACCOUNT_LIMIT);
    const refused = await signInFrom(shortWindow, ip, user.username, user.password);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await signInFrom(shortWindow, ip, user.username, user.password)).status).toBe(200);
  });
});

describe('sign-in attempts per network', () => {
  it('refuses a network after too many failures across accounts, while other networks sign in', async () => {
    const users = await Promise.all([signUp(api), signUp(api), signUp(api), signUp(api)]);
    const ip = freshIp();
    const statuses = [];
    // Fewer failures per account than the account limit: only the network budget can refuse.
    for (let i = 0; i < IP_LIMIT; i++) statuses.push((await signInFrom(api, ip, users[i % users.length]!.username, WRONG)).status);
    expect(statuses).toEqual(repeat(401, IP_LIMIT));
    const fresh = await signUp(api);
    expectEnvelope(await signInFrom(api, ip, fresh.username, fresh.password), 429, 'RATE_LIMITED');
    expect((await signInFrom(api, freshIp(), fresh.username, fresh.password)).status).toBe(200);
  });

  it('does not hold successful sign-ins against the network', async () => {
    const user = await signUp(api);
    const ip = freshIp();
    expect(await statusesOf(api, ip, user.username, user.password, IP_LIMIT + 2)).toEqual(repeat(200, IP_LIMIT + 2));
    expect(await statusesOf(api, ip, `nobody_${user.username}`.slice(0, 32), WRONG, 1)).toEqual([401]);
  });
});

describe('guesses at the current password on PUT /users/password', () => {
  const changeFrom = (ip: string, token: string, current: string) =>
    api.call('PUT', '/api/v1/users/password', {
      body: { current_password: current, new_password: 'a-brand-new-password-1' },
      token,
      headers: { 'x-forwarded-for': ip },
    });

  it('spend the account budget shared with sign-in: refused with 429 before the hash runs, even for the right password', async () => {
    const user = await signUp(api);
    const ip = freshIp();
    for (let i = 0; i < ACCOUNT_LIMIT; i++) expectEnvelope(await changeFrom(ip, user.token, WRONG), 400, 'INVALID_REQUEST');
    expectEnvelope(await changeFrom(ip, user.token, user.password), 429, 'RATE_LIMITED');
    // One budget: sign-in from the same network is closed as well, and the password is unchanged.
    expectEnvelope(await signInFrom(api, ip, user.username, user.password), 429, 'RATE_LIMITED');
    expect((await signInFrom(api, freshIp(), user.username, user.password)).status).toBe(200);
  });

  it('start over after a right guess, and change the password', async () => {
    const user = await signUp(api);
    const ip = freshIp();
    for (let i = 0; i < ACCOUNT_LIMIT - 1; i++) expectEnvelope(await changeFrom(ip, user.token, WRONG), 400, 'INVALID_REQUEST');
    const changed = await changeFrom(ip, user.token, user.password);
    expect(changed.status).toBe(200);
    expect(changed.body.updated).toBe(true);
    expect((await signInFrom(api, ip, user.username, 'a-brand-new-password-1')).status).toBe(200);
  });
});

describe('sign-in limits configuration and stores', () => {
  it('turns both checks off with 0', async () => {
    const open = await peer({ MAAS_LOGIN_MAX_FAILURES_PER_ACCOUNT: '0', MAAS_LOGIN_MAX_FAILURES_PER_IP: '0' });
    const user = await signUp(api);
    const ip = freshIp();
    expect(await statusesOf(open, ip, user.username, WRONG, ACCOUNT_LIMIT + 3)).toEqual(repeat(401, ACCOUNT_LIMIT + 3));
    expect((await signInFrom(open, ip, user.username, user.password)).status).toBe(200);
  });

  it.skipIf(!redisUp)(`holds one account budget across two instances sharing Redis${redisUp ? '' : ` (${NEEDS_REDIS})`}`, async () => {
    const env = {
      REDIS_URL: SHARED_REDIS_URL,
      MAAS_RATE_LIMIT_NAMESPACE: `maas_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`,
    };
    const first = await peer(env);
    const second = await peer(env);
    const user = await signUp(api);
    const ip = freshIp();
    const statuses = [];
    for (let i = 0; i < ACCOUNT_LIMIT + 2; i++)
      statuses.push((await signInFrom(i % 2 === 0 ? first : second, ip, user.username, WRONG)).status);
    expect(statuses).toEqual([...repeat(401, ACCOUNT_LIMIT), 429, 429]);
    // A success on one instance starts the count over on the other as well.
    const other = await signUp(api);
    const otherIp = freshIp();
    const failures = ACCOUNT_LIMIT - 1;
    expect(await statusesOf(first, otherIp, other.username, WRONG, failures)).toEqual(repeat(401, failures));
    expect((await signInFrom(second, otherIp, other.username, other.password)).status).toBe(200);
    expect(await statusesOf(first, otherIp, other.username, WRONG, failures)).toEqual(repeat(401, failures));
  });

  it('falls back to per-instance memory when Redis is unreachable, never answering 500', async () => {
    const degraded = await peer({ REDIS_URL: 'redis://127.0.0.1:6390' });
    const user = await signUp(api);
    const ip = freshIp();
    expect(await statusesOf(degraded, ip, user.username, WRONG, ACCOUNT_LIMIT + 1)).toEqual([...repeat(401, ACCOUNT_LIMIT), 429]);
    const other = await signUp(api);
    expect((await signInFrom(degraded, freshIp(), other.username, other.password)).status).toBe(200);
  });

  it('reads its numbers from the environment and refuses a window of 0', () => {
    expect(loadConfig({}).loginLimits).toEqual({
      maxFailuresPerAccount: 5,
      accountWindowSeconds: 900,
      maxFailuresPerIp: 50,
      ipWindowSeconds: 3600,
    });
    expect(() => loadConfig({ MAAS_LOGIN_ACCOUNT_WINDOW_SECONDS: '0' })).toThrow(/MAAS_LOGIN_ACCOUNT_WINDOW_SECONDS/);
    expect(() => loadConfig({ MAAS_LOGIN_MAX_FAILURES_PER_IP: '-1' })).toThrow(/MAAS_LOGIN_MAX_FAILURES_PER_IP/);
  });
});
