import { decodeJwt, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, expectEnvelope, signIn, signUp, startTestServer, TEST_JWT_SECRET, type TestServer } from '../kit/index.js';

let server: TestServer;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
});
afterAll(() => server?.close());

const KEY = new TextEncoder().encode(TEST_JWT_SECRET);
const ISSUER = 'maas-platform';
const AUDIENCE = 'maas-api';

interface ForgeOptions {
  key?: Uint8Array;
  alg?: string;
  sub: string;
  sid: string;
  role?: string;
  iat?: number;
  exp?: number;
  issuer?: string;
  audience?: string;
  /** Registered claims to leave out of the payload. */
  omit?: readonly RegisteredClaim[];
}

type RegisteredClaim = 'exp' | 'iat' | 'iss' | 'aud';

/** Signs a token exactly as the server does unless an option says otherwise. */
function forge(options: ForgeOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const omitted = new Set(options.omit ?? []);
  const jwt = new SignJWT({ role: options.role ?? 'user', sid: options.sid })
    .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' })
    .setSubject(options.sub);
  if (!omitted.has('iss')) jwt.setIssuer(options.issuer ?? ISSUER);
  if (!omitted.has('aud')) jwt.setAudience(options.audience ?? AUDIENCE);
  if (!omitted.has('iat')) jwt.setIssuedAt(options.iat ?? now);
  if (!omitted.has('exp')) jwt.setExpirationTime(options.exp ?? now + 3600);
  return jwt.sign(options.key ?? KEY);
}

function claimsOf(token: string) {
  const claims = decodeJwt(token);
  return { sub: String(claims.sub), sid: String(claims.sid) };
}

describe('access token verification', () => {
  it('accepts a token signed the way the server signs (control for the forgeries below)', async () => {
    const user = await signUp(api);
    const token = await forge(claimsOf(user.token));
    expect((await api.get('/api/v1/users/profile', token)).status).toBe(200);
  });

  it('answers 401 with the envelope when no token is sent', async () => {
    const error = expectEnvelope(await api.get('/api/v1/users/profile'), 401, 'UNAUTHORIZED');
    expect(error.message).toBe('未授权访问');
  });

  it('refuses a token whose signature was tampered with', async () => {
    const user = await signUp(api);
    const [header, payload, signature = ''] = user.token.split('.');
    const flipped = `${signature.slice(0, -4)}${signature.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    expectEnvelope(await api.get('/api/v1/users/profile', `${header}.${payload}.${flipped}`), 401, 'UNAUTHORIZED');
  });

  it('refuses a token whose payload was changed after signing (role escalation)', async () => {
    const admin = await signUp(api);
    const [header, payload, signature] = admin.token.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8'));
    const escalated = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url');
    expectEnvelope(await api.get('/api/v1/admin/users', `${header}.${escalated}.${signature}`), 401, 'UNAUTHORIZED');
  });

  it('refuses an expired token', async () => {
    const user = await signUp(api);
    const now = Math.floor(Date.now() / 1000);
    const token = await forge({ ...claimsOf(user.token), iat: now - 7200, exp: now - 3600 });
    expectEnvelope(await api.get('/api/v1/users/profile', token), 401, 'UNAUTHORIZED');
  });

  it('refuses an unsigned token (alg "none")', async () => {
    const user = await signUp(api);
    const token = new UnsecuredJWT({ role: 'admin', sid: claimsOf(user.token).sid })
      .setSubject(user.id)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('1h')
      .encode();
    expect(token.endsWith('.')).toBe(true);
    expectEnvelope(await api.get('/api/v1/users/profile', token), 401, 'UNAUTHORIZED');
  });

  it('refuses a token signed with another secret', async () => {
    const user = await signUp(api);
    const token = await forge({ ...claimsOf(user.token), key: new TextEncoder().encode('another-secret-that-is-also-long-enough') });
    expectEnvelope(await api.get('/api/v1/users/profile', token), 401, 'UNAUTHORIZED');
  });

  it('refuses a token using another HMAC algorithm with the right secret (HS256 is pinned)', async () => {
    const user = await signUp(api);
    const token = await forge({ ...claimsOf(user.token), alg: 'HS512' });
    expectEnvelope(await api.get('/api/v1/users/profile', token), 401, 'UNAUTHORIZED');
  });

  it('refuses a token from another issuer or for another audience', async () => {
    const user = await signUp(api);
    expectEnvelope(await api.get('/api/v1/users/profile', await forge({ ...claimsOf(user.token), issuer: 'evil' })), 401, 'UNAUTHORIZED');
    expectEnvelope(
      await api.get('/api/v1/users/profile', await forge({ ...claimsOf(user.token), audience: 'other' })),
      401,
      'UNAUTHORIZED',
    );
  });

  it.each(['exp', 'iat', 'iss', 'aud'] as const)('refuses a token signed with the real key but without `%s`', async (claim) => {
    const user = await signUp(api);
    const token = await forge({ ...claimsOf(user.token), omit: [claim] });
    expect(decodeJwt(token)).not.toHaveProperty(claim);
    expectEnvelope(await api.get('/api/v1/users/profile', token), 401, 'UNAUTHORIZED');
  });

  it('refuses a validly signed token that binds one user to another user’s session', async () => {
    const alice = await signUp(api);
    const bob = await signUp(api);
    const token = await forge({ sub: bob.id, sid: claimsOf(alice.token).sid });
    expectEnvelope(await api.get('/api/v1/users/profile', token), 401, 'UNAUTHORIZED');
  });

  it('refuses a validly signed token for a session that does not exist', async () => {
    const user = await signUp(api);
    const token = await forge({ sub: user.id, sid: 'sess_doesnotexist' });
    expectEnvelope(await api.get('/api/v1/users/profile', token), 401, 'UNAUTHORIZED');
  });

  it.each([
    ['garbage', 'Bearer not-a-jwt'],
    ['three dots of garbage', 'Bearer a.b.c'],
    ['an empty bearer', 'Bearer '],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['a JSON header that is not a JWT', `Bearer ${Buffer.from('{"alg":"HS256"}').toString('base64url')}.e30.`],
  ])('refuses %s in the Authorization header with 401', async (_label, authorization) => {
    const res = await api.call('GET', '/api/v1/users/profile', { headers: { authorization } });
    expectEnvelope(res, 401, 'UNAUTHORIZED');
  });
});

describe('sign-in errors', () => {
  it('gives the same status, code and message for a wrong password and an unknown user', async () => {
    const user = await signUp(api);
    const wrongPassword = await api.post('/api/v1/auth/token', { username: user.username, password: 'wrong-password-123' });
    const unknownUser = await api.post('/api/v1/auth/token', { username: `nobody_${user.username}`, password: 'wrong-password-123' });
    const a = expectEnvelope(wrongPassword, 401, 'UNAUTHORIZED');
    const b = expectEnvelope(unknownUser, 401, 'UNAUTHORIZED');
    expect({ ...a, request_id: undefined }).toEqual({ ...b, request_id: undefined });
  });

  it('gives the same answer in English too', async () => {
    const user = await signUp(api);
    const headers = { 'accept-language': 'en' };
    const a = await api.post('/api/v1/auth/token', { username: user.username, password: 'wrong-password-123' }, undefined, headers);
    const b = await api.post('/api/v1/auth/token', { username: 'no_such_user_at_all', password: 'wrong-password-123' }, undefined, headers);
    expect(expectEnvelope(a, 401, 'UNAUTHORIZED').message).toBe(expectEnvelope(b, 401, 'UNAUTHORIZED').message);
    expect((a.body as { error: { message: string } }).error.message).toMatch(/[A-Za-z]/);
  });

  it('answers 400, not 500, for a login name holding a NUL byte', async () => {
    const res = await api.post('/api/v1/auth/token', { username: 'evil\u0000name', password: 'whatever-password' });
    expect(expectEnvelope(res, 400, 'INVALID_REQUEST').details).toMatchObject({ field: 'username' });
  });

  it('rejects a register body that tries to choose its own role', async () => {
    const res = await api.post('/api/v1/auth/register', {
      username: `sneaky_${process.pid}`,
      email: `sneaky_${process.pid}@example.com`,
      password: 'correct-horse-battery',
      role: 'admin',
    });
    expect(expectEnvelope(res, 400, 'INVALID_REQUEST').details).toMatchObject({ field: 'role' });
  });

  it('rejects a weak password and a malformed email with field-level details', async () => {
    const short = await api.post('/api/v1/auth/register', {
      username: `weak_${process.pid}`,
      email: `weak_${process.pid}@example.com`,
      password: 'short',
    });
    expect(expectEnvelope(short, 400, 'INVALID_REQUEST').details).toMatchObject({ field: 'password' });
    const email = await api.post('/api/v1/auth/register', {
      username: `bademail_${process.pid}`,
      email: 'not-an-email',
      password: 'correct-horse-battery',
    });
    expect(expectEnvelope(email, 400, 'INVALID_REQUEST').details).toMatchObject({ field: 'email' });
  });
});

describe('refresh token rotation and reuse detection', () => {
  it('refuses an unknown refresh token with 401', async () => {
    expectEnvelope(await api.post('/api/v1/auth/refresh', { refresh_token: 'rt_unknown' }), 401, 'UNAUTHORIZED');
  });

  it('refuses an access token presented as a refresh token with 401, like any other wrong refresh token', async () => {
    const user = await signUp(api);
    expectEnvelope(await api.post('/api/v1/auth/refresh', { refresh_token: user.token }), 401, 'UNAUTHORIZED');
  });

  it('revokes the whole session when an already-rotated refresh token is presented again', async () => {
    const user = await signUp(api);
    const rotated = await api.post('/api/v1/auth/refresh', { refresh_token: user.refreshToken });
    expect(rotated.status).toBe(200);
    const newest = rotated.body as { access_token: string; refresh_token: string };
    expect((await api.get('/api/v1/users/profile', newest.access_token)).status).toBe(200);

    // The old token comes back: someone else holds a copy.
    expectEnvelope(await api.post('/api/v1/auth/refresh', { refresh_token: user.refreshToken }), 401, 'UNAUTHORIZED');

    expectEnvelope(await api.get('/api/v1/users/profile', newest.access_token), 401, 'UNAUTHORIZED');
    expectEnvelope(await api.get('/api/v1/users/profile', user.token), 401, 'UNAUTHORIZED');
    expectEnvelope(await api.post('/api/v1/auth/refresh', { refresh_token: newest.refresh_token }), 401, 'UNAUTHORIZED');
  });

  it('leaves the user’s other sessions alone when one session is revoked for reuse', async () => {
    const user = await signUp(api);
    const other = await signIn(api, user.username, user.password);
    await api.post('/api/v1/auth/refresh', { refresh_token: user.refreshToken });
    await api.post('/api/v1/auth/refresh', { refresh_token: user.refreshToken });
    expect((await api.get('/api/v1/users/profile', other.token)).status).toBe(200);
  });

  it('lets only one of two concurrent rotations of the same token succeed', async () => {
    const user = await signUp(api);
    const results = await Promise.all([
      api.post('/api/v1/auth/refresh', { refresh_token: user.refreshToken }),
      api.post('/api/v1/auth/refresh', { refresh_token: user.refreshToken }),
    ]);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 401)).toHaveLength(1);
  });

  it('refuses to refresh after logout', async () => {
    const user = await signUp(api);
    expect((await api.post('/api/v1/auth/logout', {}, user.token)).status).toBe(200);
    expectEnvelope(await api.post('/api/v1/auth/refresh', { refresh_token: user.refreshToken }), 401, 'UNAUTHORIZED');
  });

  it('refuses to refresh an expired session', async () => {
    const user = await signUp(api);
    await server.server.platform.db
      .updateTable('sessions')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', claimsOf(user.token).sid)
      .execute();
    expectEnvelope(await api.post('/api/v1/auth/refresh', { refresh_token: user.refreshToken }), 401, 'UNAUTHORIZED');
  });
});
