import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, resolveJwtSecret } from '@maas/api';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, expectEnvelope, ISO_UTC, signIn, signUp, startPeerServer, startTestServer, type TestServer } from '../kit/index.js';

const ADMIN_EMAIL = 'Root.Admin@Example.com';
const ADMIN_PASSWORD = 'bootstrap-admin-password';

let server: TestServer;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  server = await startTestServer({ MAAS_ADMIN_EMAIL: ADMIN_EMAIL, MAAS_ADMIN_PASSWORD: ADMIN_PASSWORD });
  api = apiClient(server.url);
});
afterAll(() => server?.close());

let counter = 0;
function freshCredentials(prefix = 'happy') {
  counter += 1;
  const username = `${prefix}_${process.pid}_${counter}_${Math.random().toString(36).slice(2, 6)}`.slice(0, 32);
  return { username, email: `${username}@example.com`, password: 'correct-horse-battery' };
}

describe('POST /api/v1/auth/register', () => {
  it('creates an account with 201 and answers the profile with a prefixed id and ISO-8601 UTC timestamps', async () => {
    const credentials = freshCredentials();
    const res = await api.post('/api/v1/auth/register', { ...credentials, email: credentials.email.toUpperCase() });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(['avatar', 'created_at', 'email', 'id', 'last_login', 'role', 'username']);
    expect(res.body).toMatchObject({
      username: credentials.username,
      email: credentials.email.toLowerCase(),
      avatar: null,
      role: 'user',
      last_login: null,
    });
    expect(res.body.id).toMatch(/^user_[a-z0-9]+$/);
    expect(res.body.created_at).toMatch(ISO_UTC);
    expect(Math.abs(Date.parse(res.body.created_at) - Date.now())).toBeLessThan(60_000);
  });

  it('stores the password as an argon2id hash, never in clear', async () => {
    const credentials = freshCredentials();
    const res = await api.post('/api/v1/auth/register', credentials);
    expect(res.status).toBe(201);
    const row = await server.server.platform.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', res.body.id)
      .executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$/);
    expect(row.password_hash).not.toContain(credentials.password);
  });

  it('refuses a taken username with 409 CONFLICT, whatever its case', async () => {
    const first = freshCredentials();
    expect((await api.post('/api/v1/auth/register', first)).status).toBe(201);
    const other = freshCredentials();
    const res = await api.post('/api/v1/auth/register', { ...other, username: first.username.toUpperCase() });
    const error = expectEnvelope(res, 409, 'CONFLICT');
    expect(error.details).toMatchObject({ field: 'username' });
  });

  it('refuses a taken email with 409 CONFLICT, whatever its case', async () => {
    const first = freshCredentials();
    expect((await api.post('/api/v1/auth/register', first)).status).toBe(201);
    const other = freshCredentials();
    const res = await api.post('/api/v1/auth/register', { ...other, email: first.email.toUpperCase() });
    const error = expectEnvelope(res, 409, 'CONFLICT');
    expect(error.details).toMatchObject({ field: 'email' });
  });

  it('answers exactly one 201 when the same username is registered twice at once', async () => {
    const credentials = freshCredentials();
    const results = await Promise.all([
      api.post('/api/v1/auth/register', credentials),
      api.post('/api/v1/auth/register', { ...credentials, email: `other.${credentials.email}` }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
  });
});

describe('POST /api/v1/auth/token', () => {
  it('signs in with the username and answers the contract token pair', async () => {
    const user = await signUp(api);
    const res = await api.post('/api/v1/auth/token', { username: user.username, password: user.password });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type']);
    expect(res.body.token_type).toBe('Bearer');
    expect(res.body.expires_in).toBe(3600);
    expect(typeof res.body.refresh_token).toBe('string');
    expect((await api.get('/api/v1/users/profile', res.body.access_token)).status).toBe(200);
  });

  it('signs in with the email instead of the username, case-insensitively', async () => {
    const user = await signUp(api);
    const byEmail = await api.post('/api/v1/auth/token', { username: user.email.toUpperCase(), password: user.password });
    expect(byEmail.status).toBe(200);
    const byUpperUsername = await api.post('/api/v1/auth/token', { username: user.username.toUpperCase(), password: user.password });
    expect(byUpperUsername.status).toBe(200);
  });

  it('records last_login on sign-in', async () => {
    const user = await signUp(api);
    const profile = await api.get('/api/v1/users/profile', user.token);
    expect(profile.body.last_login).toMatch(ISO_UTC);
    expect(Math.abs(Date.parse(profile.body.last_login) - Date.now())).toBeLessThan(60_000);
  });

  it('issues an HS256 JWT carrying the user id, role and session id, valid for one hour', async () => {
    const user = await signUp(api);
    expect(decodeProtectedHeader(user.token)).toMatchObject({ alg: 'HS256' });
    const claims = decodeJwt(user.token);
    expect(claims.sub).toBe(user.id);
    expect(claims.role).toBe('user');
    expect(claims.sid).toMatch(/^sess_[a-z0-9]+$/);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3600);
  });

  it('keeps refresh tokens opaque and stores only their hash', async () => {
    const user = await signUp(api);
    expect(user.refreshToken.split('.')).toHaveLength(1);
    const rows = await server.server.platform.db.selectFrom('refresh_tokens').selectAll().execute();
    const serialized = JSON.stringify(rows);
    expect(serialized).not.toContain(user.refreshToken);
    expect(rows.every((row) => /^[0-9a-f]{64}$/.test(row.token_hash))).toBe(true);
  });

  it('gives a fresh session to each sign-in', async () => {
    const user = await signUp(api);
    const second = await signIn(api, user.username, user.password);
    expect(decodeJwt(second.token).sid).not.toBe(decodeJwt(user.token).sid);
  });
});

describe('POST /api/v1/auth/refresh', () => {
  it('rotates the refresh token on every call and the new access token works', async () => {
    const user = await signUp(api);
    const first = await api.post('/api/v1/auth/refresh', { refresh_token: user.refreshToken });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect(first.body.refresh_token).not.toBe(user.refreshToken);
    expect(decodeJwt(first.body.access_token).sid).toBe(decodeJwt(user.token).sid);
    expect((await api.get('/api/v1/users/profile', first.body.access_token)).status).toBe(200);

    const second = await api.post('/api/v1/auth/refresh', { refresh_token: first.body.refresh_token });
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
    expect((await api.get('/api/v1/users/profile', second.body.access_token)).status).toBe(200);
  });
});

describe('POST /api/v1/auth/logout', () => {
  it('revokes the session without a request body: its access and refresh tokens stop working at once', async () => {
    const user = await signUp(api);
    const other = await signIn(api, user.username, user.password);
    const res = await api.call('POST', '/api/v1/auth/logout', { token: user.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ revoked: true });
    expectEnvelope(await api.get('/api/v1/users/profile', user.token), 401, 'UNAUTHORIZED');
    expectEnvelope(await api.post('/api/v1/auth/refresh', { refresh_token: user.refreshToken }), 401, 'UNAUTHORIZED');
    // Another session of the same user is not affected.
    expect((await api.get('/api/v1/users/profile', other.token)).status).toBe(200);
  });

  it('accepts an empty JSON object as the body', async () => {
    const user = await signUp(api);
    expect((await api.post('/api/v1/auth/logout', {}, user.token)).status).toBe(200);
    expectEnvelope(await api.get('/api/v1/users/profile', user.token), 401, 'UNAUTHORIZED');
  });

  it('reaches another instance within its session cache TTL (at most 60 s)', async () => {
    expect(loadConfig({}).sessionCacheTtlMs).toBeLessThanOrEqual(60_000);
    const peer = await startPeerServer(server, { MAAS_SESSION_CACHE_TTL_MS: '400' });
    try {
      const peerApi = apiClient(peer.url);
      const user = await signUp(api);
      // The peer now trusts the session from its cache.
      expect((await peerApi.get('/api/v1/users/profile', user.token)).status).toBe(200);
      expect((await api.post('/api/v1/auth/logout', {}, user.token)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 600));
      expectEnvelope(await peerApi.get('/api/v1/users/profile', user.token), 401, 'UNAUTHORIZED');
    } finally {
      await peer.close();
    }
  });
});

describe('admin bootstrap from MAAS_ADMIN_EMAIL and MAAS_ADMIN_PASSWORD', () => {
  it('creates the admin at start', async () => {
    const { token } = await signIn(api, ADMIN_EMAIL, ADMIN_PASSWORD);
    const profile = await api.get('/api/v1/users/profile', token);
    expect(profile.body).toMatchObject({ email: ADMIN_EMAIL.toLowerCase(), role: 'admin' });
    expect((await api.get('/api/v1/admin/users', token)).status).toBe(200);
  });

  it('is idempotent across restarts', async () => {
    const peer = await startPeerServer(server);
    await peer.close();
    const admins = await server.server.platform.db
      .selectFrom('users')
      .select('id')
      .where('email', '=', ADMIN_EMAIL.toLowerCase())
      .execute();
    expect(admins).toHaveLength(1);
    await signIn(api, ADMIN_EMAIL, ADMIN_PASSWORD);
  });

  it('turns an existing account into an admin with the configured password', async () => {
    const user = await signUp(api, 'promoted');
    const newPassword = 'the-new-admin-password';
    const peer = await startPeerServer(server, { MAAS_ADMIN_EMAIL: user.email.toUpperCase(), MAAS_ADMIN_PASSWORD: newPassword });
    await peer.close();
    expectEnvelope(await api.post('/api/v1/auth/token', { username: user.username, password: user.password }), 401, 'UNAUTHORIZED');
    const { token } = await signIn(api, user.username, newPassword);
    expect((await api.get('/api/v1/users/profile', token)).body.role).toBe('admin');
  });
});

describe('JWT secret', () => {
  function configIn(dir: string, env: Record<string, string> = {}) {
    return loadConfig({ NODE_ENV: 'development', DATA_DIR: dir, ...env });
  }

  it('uses MAAS_JWT_SECRET when it is set', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'maas-jwt-'));
    const secret = 'x'.repeat(40);
    expect(resolveJwtSecret(configIn(dir, { MAAS_JWT_SECRET: secret }))).toBe(secret);
  });

  it('refuses a MAAS_JWT_SECRET shorter than 32 characters', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'maas-jwt-'));
    expect(() => resolveJwtSecret(configIn(dir, { MAAS_JWT_SECRET: 'short' }))).toThrow(/at least 32/);
  });

  it('generates a secret once outside production, persists it under DATA_DIR and reuses it after a restart', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'maas-jwt-'));
    const first = resolveJwtSecret(configIn(dir));
    expect(first.length).toBeGreaterThanOrEqual(32);
    const file = path.join(dir, 'jwt-secret');
    expect(readFileSync(file, 'utf8').trim()).toBe(first);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(resolveJwtSecret(configIn(dir))).toBe(first);
  });

  it('creates DATA_DIR when it does not exist yet', () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'maas-jwt-')), 'nested', 'data');
    const secret = resolveJwtSecret(configIn(dir));
    expect(readFileSync(path.join(dir, 'jwt-secret'), 'utf8').trim()).toBe(secret);
  });

  it('replaces an unusable (empty) secret file instead of using it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'maas-jwt-'));
    writeFileSync(path.join(dir, 'jwt-secret'), '\n');
    const secret = resolveJwtSecret(configIn(dir));
    expect(secret.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(path.join(dir, 'jwt-secret'), 'utf8').trim()).toBe(secret);
    expect(readdirSync(dir)).toEqual(['jwt-secret']);
  });

  it('refuses to start in production without MAAS_JWT_SECRET, and writes nothing', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'maas-jwt-'));
    expect(() => resolveJwtSecret(configIn(dir, { NODE_ENV: 'production' }))).toThrow(/MAAS_JWT_SECRET/);
    expect(() => statSync(path.join(dir, 'jwt-secret'))).toThrow();
  });

  it('keeps access tokens valid across a restart when the secret was generated', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'maas-jwt-'));
    const before = await startPeerServer(server, { MAAS_JWT_SECRET: '', DATA_DIR: dir });
    let token: string;
    try {
      token = (await signUp(apiClient(before.url))).token;
    } finally {
      await before.close();
    }
    const after = await startPeerServer(server, { MAAS_JWT_SECRET: '', DATA_DIR: dir });
    try {
      expect((await apiClient(after.url).get('/api/v1/users/profile', token)).status).toBe(200);
      // The test secret of the primary is a different key: the token means nothing there.
      expectEnvelope(await api.get('/api/v1/users/profile', token), 401, 'UNAUTHORIZED');
    } finally {
      await after.close();
    }
  });
});
