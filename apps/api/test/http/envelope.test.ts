import { AppError, type AppRouter, type ErrorCode } from '@maas/api';
import type { Database } from '@maas/db';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import { Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiClient,
  expectEnvelope,
  expectNoStackTrace,
  signUp,
  signUpAs,
  startPeerServer,
  startTestServer,
  type TestServer,
} from '../kit/index.js';

let server: TestServer;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
});
afterAll(() => server?.close());

const CJK = /[\u4e00-\u9fff]/;

/** A database whose every query fails the way a broken one does; the session cache keeps the real one. */
function failingDatabase(makeError: () => Error): Kysely<Database> {
  return new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
      createDriver: () => ({
        init: async () => {},
        acquireConnection: async () => {
          throw makeError();
        },
        beginTransaction: async () => {},
        commitTransaction: async () => {},
        rollbackTransaction: async () => {},
        releaseConnection: async () => {},
        destroy: async () => {},
      }),
    },
  });
}

function internalFailure(): Error {
  const error = new Error('relation "internal_secret_table" does not exist');
  Object.assign(error, { code: '42P01', detail: 'secret detail' });
  return error;
}

describe('request id', () => {
  it('generates one when none is sent and echoes it in X-Request-Id and the envelope', async () => {
    const res = await api.get('/api/v1/users/profile');
    const error = expectEnvelope(res, 401, 'UNAUTHORIZED');
    expect(error.request_id).toMatch(/^req_[0-9a-f]{32}$/);
    const other = await api.get('/api/v1/users/profile');
    expect(other.headers.get('x-request-id')).not.toBe(error.request_id);
  });

  it('sends X-Request-Id on successful responses too', async () => {
    const res = await api.get('/healthz');
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    const user = await signUp(api);
    const profile = await api.get('/api/v1/users/profile', user.token);
    expect(profile.headers.get('x-request-id')).toMatch(/^req_/);
  });

  it('keeps a well-formed incoming X-Request-Id', async () => {
    const id = 'client-Trace_01.abc:42';
    const res = await api.get('/api/v1/users/profile', undefined, { 'x-request-id': id });
    expect(expectEnvelope(res, 401, 'UNAUTHORIZED').request_id).toBe(id);
    const ok = await api.get('/healthz', undefined, { 'x-request-id': id });
    expect(ok.headers.get('x-request-id')).toBe(id);
  });

  it.each([
    ['spaces', 'has spaces in it'],
    ['markup', '<script>alert(1)</script>'],
    ['a slash', 'a/b'],
    ['more than 128 characters', 'x'.repeat(129)],
    ['an empty value', ''],
  ])('replaces a malformed incoming X-Request-Id (%s)', async (_label, id) => {
    const res = await api.get('/api/v1/users/profile', undefined, { 'x-request-id': id });
    const error = expectEnvelope(res, 401, 'UNAUTHORIZED');
    expect(error.request_id).not.toBe(id);
    expect(error.request_id).toMatch(/^req_[0-9a-f]{32}$/);
  });
});

describe('localized messages', () => {
  it('speaks zh-CN by default with the contract wording', async () => {
    expect(expectEnvelope(await api.get('/api/v1/users/profile'), 401, 'UNAUTHORIZED').message).toBe('未授权访问');
    const invalid = await api.post('/api/v1/auth/register', { username: 'ab' });
    const error = expectEnvelope(invalid, 400, 'INVALID_REQUEST');
    expect(error.message).toBe('请求参数无效');
    expect(String(error.details?.reason)).toMatch(CJK);
  });

  it('speaks English when Accept-Language asks for it', async () => {
    const headers = { 'accept-language': 'en-US,en;q=0.9' };
    expect(expectEnvelope(await api.get('/api/v1/users/profile', undefined, headers), 401, 'UNAUTHORIZED').message).toBe('Unauthorized');
    const invalid = await api.post('/api/v1/auth/register', { username: 'ab' }, undefined, headers);
    const error = expectEnvelope(invalid, 400, 'INVALID_REQUEST');
    expect(error.message).toBe('Invalid request parameters');
    expect(String(error.details?.reason)).not.toMatch(CJK);
  });

  it('picks the language with the highest q-weight and falls back to zh-CN for others', async () => {
    const zhPreferred = await api.get('/api/v1/users/profile', undefined, { 'accept-language': 'en;q=0.2, zh-CN;q=0.8' });
    expect(expectEnvelope(zhPreferred, 401, 'UNAUTHORIZED').message).toBe('未授权访问');
    const french = await api.get('/api/v1/users/profile', undefined, { 'accept-language': 'fr-FR' });
    expect(expectEnvelope(french, 401, 'UNAUTHORIZED').message).toBe('未授权访问');
  });

  it('localizes errors raised before any procedure runs (unknown path, bad JSON)', async () => {
    const en = { 'accept-language': 'en' };
    expect(expectEnvelope(await api.get('/api/v1/no-such-thing', undefined, en), 404, 'NOT_FOUND').message).not.toMatch(CJK);
    expect(expectEnvelope(await api.get('/api/v1/no-such-thing'), 404, 'NOT_FOUND').message).toMatch(CJK);
    const badJson = { body: '{"username":', headers: { 'content-type': 'application/json', ...en } };
    expect(expectEnvelope(await api.call('POST', '/api/v1/auth/token', badJson), 400, 'INVALID_REQUEST').message).not.toMatch(CJK);
    const wrongType = { body: 'hello', headers: { 'content-type': 'text/plain', ...en } };
    expect(expectEnvelope(await api.call('POST', '/api/v1/auth/token', wrongType), 400, 'INVALID_REQUEST').message).toMatch(/Content-Type/);
  });
});

describe('validation errors', () => {
  it('carry details {field, reason, issues} listing every problem', async () => {
    const res = await api.post('/api/v1/auth/register', { username: 'ab', email: 'nope', password: 'x' });
    const error = expectEnvelope(res, 400, 'INVALID_REQUEST');
    const details = error.details as { field: string; reason: string; issues: Array<{ field: string; reason: string }> };
    expect(Object.keys(details).sort()).toEqual(['field', 'issues', 'reason']);
    expect(details.issues.map((i) => i.field).sort()).toEqual(['email', 'password', 'username']);
    expect(details.issues.every((i) => typeof i.reason === 'string' && i.reason.length > 0)).toBe(true);
    expect(details.field).toBe(details.issues[0]?.field);
    expect(details.reason).toBe(details.issues[0]?.reason);
  });

  it('name an unknown field itself', async () => {
    const res = await api.post('/api/v1/auth/token', { username: 'someone', password: 'x', remember_me: true });
    expect(expectEnvelope(res, 400, 'INVALID_REQUEST').details).toMatchObject({ field: 'remember_me' });
  });

  it('name a missing required field', async () => {
    const res = await api.post('/api/v1/auth/token', { username: 'someone' });
    expect(expectEnvelope(res, 400, 'INVALID_REQUEST').details).toMatchObject({ field: 'password' });
  });

  it('refuse a body that is not an object', async () => {
    expectEnvelope(await api.post('/api/v1/auth/token', [1, 2, 3]), 400, 'INVALID_REQUEST');
    expectEnvelope(await api.post('/api/v1/auth/token', 'null'), 400, 'INVALID_REQUEST');
  });
});

describe('malformed requests', () => {
  it('answers 400 for malformed JSON', async () => {
    const res = await api.call('POST', '/api/v1/auth/token', {
      body: '{"username": "a", ',
      headers: { 'content-type': 'application/json' },
    });
    expectEnvelope(res, 400, 'INVALID_REQUEST');
  });

  it('answers 400 for a JSON body that is not an object (null, an array, a string, a number), writing nothing', async () => {
    const user = await signUp(api);
    for (const body of ['null', '[]', '[{"username":"x"}]', '"profile"', '42']) {
      const res = await api.call('PUT', '/api/v1/users/profile', {
        body,
        token: user.token,
        headers: { 'content-type': 'application/json', 'accept-language': 'en' },
      });
      expect(expectEnvelope(res, 400, 'INVALID_REQUEST').message).toBe('The request body must be a JSON object');
    }
    expectEnvelope(
      await api.call('POST', '/api/v1/auth/token', { body: 'null', headers: { 'content-type': 'application/json' } }),
      400,
      'INVALID_REQUEST',
    );
    expect((await api.get('/api/v1/users/profile', user.token)).body.username).toBe(user.username);
  });

  it('answers 400 for an empty body sent as JSON', async () => {
    const res = await api.call('POST', '/api/v1/auth/token', { body: '', headers: { 'content-type': 'application/json' } });
    expectEnvelope(res, 400, 'INVALID_REQUEST');
  });

  it('answers 400 for a JSON body carrying __proto__', async () => {
    const res = await api.call('POST', '/api/v1/auth/register', {
      body: '{"username":"protouser","email":"p@example.com","password":"correct-horse-battery","__proto__":{"role":"admin"}}',
      headers: { 'content-type': 'application/json' },
    });
    expectEnvelope(res, 400, 'INVALID_REQUEST');
  });

  it.each(['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])(
    'answers 400 for a body sent as %s',
    async (contentType) => {
      const res = await api.call('POST', '/api/v1/auth/token', { body: 'username=a&password=b', headers: { 'content-type': contentType } });
      expectEnvelope(res, 400, 'INVALID_REQUEST');
    },
  );

  it('answers 400, not 500, for a deeply nested JSON body on both faces', async () => {
    const depth = 100_000;
    const body = `{"username":${'['.repeat(depth)}${']'.repeat(depth)},"password":"x"}`;
    const headers = { 'content-type': 'application/json' };
    expectEnvelope(await api.call('POST', '/api/v1/auth/token', { body, headers }), 400, 'INVALID_REQUEST');
    const trpc = await api.call('POST', '/trpc/auth.token', { body, headers });
    expect(trpc.status).toBe(400);
    expectNoStackTrace(trpc.body);
  });

  it('still accepts brackets and braces inside JSON strings', async () => {
    const username = '['.repeat(200) + '{'.repeat(50);
    const res = await api.post('/api/v1/auth/token', { username, password: 'correct-horse-battery' });
    expectEnvelope(res, 401, 'UNAUTHORIZED');
  });

  it('answers 400 for a malformed percent-encoding in the URL', async () => {
    const headers = { 'x-request-id': 'bad-url-1', 'accept-language': 'en' };
    const error = expectEnvelope(await api.get('/api/v1/users/%E0%A4%A', undefined, headers), 400, 'INVALID_REQUEST');
    expect(error.request_id).toBe('bad-url-1');
    expect(error.message).toBe('Invalid request parameters');
    expectEnvelope(await api.get('/api/v1/admin/users/%ZZ'), 400, 'INVALID_REQUEST');
  });

  it('answers 404 for an over-long path id: it names nothing (issue 19 part 5)', async () => {
    const admin = await signUpAs(server, api, 'admin');
    const res = await api.patch(`/api/v1/admin/users/user_${'a'.repeat(300)}`, { role: 'user' }, admin.token);
    expectEnvelope(res, 404, 'NOT_FOUND');
  });

  it('answers 413 for a body over the default 1 MiB limit', async () => {
    expect(server.config.maxBodyBytes).toBe(1_048_576);
    const body = JSON.stringify({ username: 'a'.repeat(1_048_576), password: 'x' });
    const res = await api.call('POST', '/api/v1/auth/token', { body });
    expectEnvelope(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('honours MAAS_MAX_BODY_BYTES on the REST and tRPC faces', async () => {
    const peer = await startPeerServer(server, { MAAS_MAX_BODY_BYTES: '2048' });
    try {
      const peerApi = apiClient(peer.url);
      const big = JSON.stringify({ username: 'a'.repeat(3000), password: 'x' });
      expectEnvelope(await peerApi.call('POST', '/api/v1/auth/token', { body: big }), 413, 'PAYLOAD_TOO_LARGE');
      const trpc = await peerApi.call('POST', '/trpc/auth.token', { body: big });
      expect(trpc.status).toBe(413);
      expectNoStackTrace(trpc.body);
      // Under the limit the request reaches the procedure (and fails on the credentials instead).
      const small = JSON.stringify({ username: 'a'.repeat(200), password: 'correct-horse-battery' });
      expectEnvelope(await peerApi.call('POST', '/api/v1/auth/token', { body: small }), 401, 'UNAUTHORIZED');
    } finally {
      await peer.close();
    }
  });
});

describe('unknown paths', () => {
  it.each([
    ['GET', '/api/v1/no-such-thing'],
    ['POST', '/api/v1/no/such/thing'],
    ['GET', '/api/v1'],
    ['GET', '/api/v1/'],
    ['DELETE', '/api/v1/users/profile'],
    ['GET', '/api/v1/auth/token'],
    ['GET', '/api/v2/users'],
    ['OPTIONS', '/api/v1/users/profile'],
  ])('answer %s %s with the 404 envelope', async (method, path) => {
    const res = await api.call(method, path, method === 'POST' ? { body: {} } : {});
    expectEnvelope(res, 404, 'NOT_FOUND');
  });
});

describe('every error class keeps the envelope', () => {
  let probe: TestServer;
  let probeApi: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    // Routes outside the router (gateway, uploads, SSE) throw too; they share the host's error handler.
    probe = await startPeerServer(server, {}, (peer) => {
      peer.app.get<{ Params: { code: ErrorCode } }>('/api/v1/__probe/app-error/:code', async (request) => {
        throw new AppError(request.params.code, request.params.code === 'RATE_LIMITED' ? { headers: { 'retry-after': '7' } } : {});
      });
      peer.app.get('/api/v1/__probe/crash', async () => {
        throw internalFailure();
      });
      peer.app.get('/api/v1/__probe/throw-string', async () => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error
        throw 'a bare string with internal details';
      });
    });
    probeApi = apiClient(probe.url);
  });
  afterAll(() => probe?.close());

  it.each([
    ['INVALID_REQUEST', 400, '请求参数无效'],
    ['UNAUTHORIZED', 401, '未授权访问'],
    ['PAYMENT_REQUIRED', 402, '余额不足'],
    ['FORBIDDEN', 403, '禁止访问'],
    ['NOT_FOUND', 404, '资源不存在'],
    ['CONFLICT', 409, '资源冲突'],
    ['RATE_LIMITED', 429, '请求频率超限'],
    ['INTERNAL_ERROR', 500, '服务器内部错误'],
  ] as const)('maps %s to %i with the contract message', async (code, status, message) => {
    const res = await probeApi.get(`/api/v1/__probe/app-error/${code}`);
    expect(expectEnvelope(res, status, code).message).toBe(message);
  });

  it('keeps Retry-After on a 429', async () => {
    const res = await probeApi.get('/api/v1/__probe/app-error/RATE_LIMITED');
    expect(res.headers.get('retry-after')).toBe('7');
  });

  it('answers an unexpected exception with 500 INTERNAL_ERROR and no internals', async () => {
    for (const path of ['/api/v1/__probe/crash', '/api/v1/__probe/throw-string']) {
      const res = await probeApi.get(path, undefined, { 'accept-language': 'en' });
      const error = expectEnvelope(res, 500, 'INTERNAL_ERROR');
      expect(error.message).toBe('Internal server error');
      expect(error.details).toBeNull();
      expect(JSON.stringify(res.body)).not.toMatch(/internal_secret_table|secret detail|bare string/);
    }
  });
});

describe('a failing database', () => {
  it('turns an unexpected database error in a procedure into 500 INTERNAL_ERROR without internals (REST and tRPC)', async () => {
    const peer = await startPeerServer(server, {}, (built) => {
      built.platform.db = failingDatabase(internalFailure);
    });
    try {
      const user = await signUp(api);
      const rest = await apiClient(peer.url).get('/api/v1/users/profile', user.token);
      expectEnvelope(rest, 500, 'INTERNAL_ERROR');
      expect(JSON.stringify(rest.body)).not.toMatch(/internal_secret_table|secret detail|42P01/);

      const client = createTRPCClient<AppRouter>({
        links: [httpLink({ url: `${peer.url}/trpc`, headers: { authorization: `Bearer ${user.token}`, 'x-request-id': 'trpc-crash-1' } })],
      });
      const error = await client.users.profile.query().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TRPCClientError);
      const trpcError = error as TRPCClientError<AppRouter>;
      expect(trpcError.data).toMatchObject({ code: 'INTERNAL_ERROR', httpStatus: 500, request_id: 'trpc-crash-1' });
      expect(trpcError.message).toBe('服务器内部错误');
      expectNoStackTrace({ data: trpcError.data, shape: trpcError.shape, message: trpcError.message });
      expect(JSON.stringify(trpcError.shape)).not.toMatch(/internal_secret_table|secret detail/);
    } finally {
      await peer.close();
    }
  });

  it('answers 503 SERVICE_UNAVAILABLE when the database cannot be reached', async () => {
    const peer = await startPeerServer(server, {}, (built) => {
      built.platform.db = failingDatabase(() => Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:5432'), { code: 'ECONNREFUSED' }));
    });
    try {
      const user = await signUp(api);
      const res = await apiClient(peer.url).get('/api/v1/users/profile', user.token);
      expectEnvelope(res, 503, 'SERVICE_UNAVAILABLE');
      expect(JSON.stringify(res.body)).not.toContain('10.0.0.7');
      // The tRPC face answers the same HTTP status as its error.data says.
      const trpc = await apiClient(peer.url).get('/trpc/users.profile', user.token);
      expect(trpc.status).toBe(503);
      expect(trpc.body.error.data).toMatchObject({ code: 'SERVICE_UNAVAILABLE', httpStatus: 503 });
      expect(JSON.stringify(trpc.body)).not.toContain('10.0.0.7');
    } finally {
      await peer.close();
    }
  });
});

describe('tRPC face', () => {
  function trpcClient(headers: Record<string, string> = {}) {
    return createTRPCClient<AppRouter>({ links: [httpLink({ url: `${server.url}/trpc`, headers })] });
  }

  it('serves the same procedures: sign up, sign in and read the profile', async () => {
    const anonymous = trpcClient();
    const suffix = `${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
    const profile = await anonymous.auth.register.mutate({
      username: `trpc_${suffix}`,
      email: `trpc_${suffix}@example.com`,
      password: 'correct-horse-battery',
    });
    expect(profile.id).toMatch(/^user_/);
    const tokens = await anonymous.auth.token.mutate({ username: `trpc_${suffix}`, password: 'correct-horse-battery' });
    expect(tokens.token_type).toBe('Bearer');
    const me = await trpcClient({ authorization: `Bearer ${tokens.access_token}` }).users.profile.query();
    expect(me).toMatchObject({ id: profile.id, username: `trpc_${suffix}`, role: 'user' });
  });

  it('carries the envelope code and request id in error.data, localized, with no stack', async () => {
    const error = await trpcClient({ 'x-request-id': 'trpc-req-42', 'accept-language': 'en' })
      .users.profile.query()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCClientError);
    const trpcError = error as TRPCClientError<AppRouter>;
    expect(trpcError.data).toMatchObject({ code: 'UNAUTHORIZED', httpStatus: 401, request_id: 'trpc-req-42' });
    expect(trpcError.message).toBe('Unauthorized');
    expect(trpcError.data).not.toHaveProperty('stack');
    expectNoStackTrace(trpcError.shape);
  });

  it('reports validation problems with the same details as REST', async () => {
    const error = await trpcClient()
      .auth.register.mutate({ username: 'ab', email: 'nope', password: 'x' })
      .catch((e: unknown) => e);
    const trpcError = error as TRPCClientError<AppRouter>;
    expect(trpcError.data).toMatchObject({ code: 'INVALID_REQUEST', httpStatus: 400 });
    expect(trpcError.meta?.response).toMatchObject({ status: 400 });
    const details = trpcError.data?.details as { issues: Array<{ field: string }> } | null;
    expect(details?.issues.map((i) => i.field).sort()).toEqual(['email', 'password', 'username']);
    expectNoStackTrace(trpcError.shape);
  });

  it('answers malformed JSON on /trpc with a client error and no stack', async () => {
    const res = await api.call('POST', '/trpc/auth.token', {
      body: '{"username":',
      headers: { 'content-type': 'application/json', 'x-request-id': 'bad-json-1' },
    });
    expect(res.status).toBe(400);
    expectNoStackTrace(res.body);
    expect(res.headers.get('x-request-id')).toBe('bad-json-1');
  });

  it('answers an unknown procedure with 404 and no stack', async () => {
    const res = await api.get('/trpc/users.nothingHere');
    expect(res.status).toBe(404);
    expectNoStackTrace(res.body);
  });
});
