// The hot REST reads are served by plain Fastify routes generated from their procedures (issue 18
// target 1). Whatever they are asked, they answer what trpc-to-openapi answers for the same
// procedures: a second server over the same database, built without them, is the reference, and
// every answer (status, headers, body bytes) of one must be the other's.
import { appRouter } from '@maas/api';
import { getModel, getProfile, listModels, ListModelsInput, listPosts, ListPostsInput } from '@maas/api/testing';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { procedureAt } from '../../src/routes/rest-reads/index.js';
import { compileExactCheck } from '../../src/routes/rest-reads/output-serializer.js';
import { buildServer, type MaasServer } from '../../src/server.js';
import {
  apiClient,
  createModel,
  createProvider,
  expectEnvelope,
  setRole,
  signIn,
  signUp,
  startTestServer,
  type TestServer,
  type TestUser,
  writePost,
} from '../kit/index.js';

/** Headers that differ between any two answers (the clock, the connection), not between routes. */
const VOLATILE_HEADERS = new Set(['date', 'connection', 'keep-alive', 'x-ratelimit-reset', 'retry-after']);

interface Answer {
  status: number;
  headers: [string, string][];
  body: string;
}

async function answer(origin: string, method: string, path: string, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(`${origin}${path}`, { method, headers });
  return {
    status: response.status,
    headers: [...response.headers.entries()].filter(([name]) => !VOLATILE_HEADERS.has(name)).sort(([a], [b]) => a.localeCompare(b)),
    body: await response.text(),
  };
}

async function reference(primary: TestServer): Promise<{ url: string; server: MaasServer }> {
  const server = await buildServer({ config: primary.config, database: primary.server.database, logging: false, restReads: false });
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`, server };
}

let requestCounter = 0;

/** Asks both servers the same thing (with the same request id) and expects the same answer; returns it. */
async function expectSameAnswer(
  ours: string,
  theirs: string,
  path: string,
  options: { token?: string; headers?: Record<string, string>; method?: string } = {},
) {
  requestCounter += 1;
  const headers: Record<string, string> = { 'x-request-id': `req_restreads_${requestCounter}`, ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const method = options.method ?? 'GET';
  const [fast, routed] = [await answer(ours, method, path, headers), await answer(theirs, method, path, headers)];
  expect(fast, `${method} ${path}`).toEqual(routed);
  return fast;
}

describe('generated REST reads answer exactly as trpc-to-openapi', () => {
  let server: TestServer;
  let other: { url: string; server: MaasServer };
  let owner: TestUser;
  let admin: TestUser;
  let reader: TestUser;
  let publicModel: string;
  let privateModel: string;

  beforeAll(async () => {
    server = await startTestServer();
    other = await reference(server);
    const api = apiClient(server.url);
    [owner, admin, reader] = [await signUp(api, 'owner'), await signUp(api, 'admin'), await signUp(api, 'reader')];
    await setRole(server, owner.id, 'developer');
    await setRole(server, admin.id, 'admin');
    const provider = await createProvider(api, admin.token);
    for (let i = 0; i < 4; i++) await createModel(api, owner.token, { description: `fast model ${i}` });
    publicModel = (
      await createModel(api, owner.token, { category: 'image', pricing: { input_tokens: 0.000001, output_tokens: 0.0000025 } })
    ).id;
    privateModel = (
      await createModel(api, owner.token, {
        visibility: 'private',
        config: { temperature: 0.3 },
        routes: [{ provider_id: provider.id, upstream_model: 'gpt-x' }],
      })
    ).id;
    for (let i = 0; i < 3; i++) await writePost(api, reader, { title: `Reads ${i}`, tags: ['fast', `t${i}`] });
  });
  afterAll(async () => {
    await other?.server.close();
    await server?.close();
  });

  it('serves the four reads by their generated routes', () => {
    for (const url of ['/api/v1/models', '/api/v1/models/:model_id', '/api/v1/community/posts', '/api/v1/users/profile']) {
      expect(server.server.app.hasRoute({ method: 'GET', url }), url).toBe(true);
      expect(other.server.app.hasRoute({ method: 'GET', url }), url).toBe(false);
    }
  });

  it('lists models the same way: pages, filters, sorts, private models for their owner, and bad queries', async () => {
    const ok = await expectSameAnswer(server.url, other.url, '/api/v1/models?limit=20');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body).data.length).toBeGreaterThanOrEqual(5);
    for (const path of [
      '/api/v1/models',
      '/api/v1/models?page=2&limit=2&sort=name',
      '/api/v1/models?sort=popularity&category=text',
      '/api/v1/models?search=FAST%20model',
      '/api/v1/models?search=&category=',
      '/api/v1/models?operation=image_generation',
      '/api/v1/models?page=99&limit=5',
      '/api/v1/models?limit=20&unknown=1',
    ])
      expect((await expectSameAnswer(server.url, other.url, path)).status, path).toBe(200);
    for (const path of [
      '/api/v1/models?limit=0',
      '/api/v1/models?limit=abc',
      '/api/v1/models?limit=101',
      '/api/v1/models?sort=bogus',
      '/api/v1/models?category=text&category=image',
      '/api/v1/models?search=' + 'x'.repeat(101),
    ])
      expect((await expectSameAnswer(server.url, other.url, path)).status, path).toBe(400);
    await expectSameAnswer(server.url, other.url, '/api/v1/models?limit=abc', { headers: { 'accept-language': 'en' } });
    const mine = await expectSameAnswer(server.url, other.url, '/api/v1/models?limit=100', { token: owner.token });
    expect(mine.body).toContain(privateModel);
    expect((await expectSameAnswer(server.url, other.url, '/api/v1/models?limit=100', { token: admin.token })).status).toBe(200);
    expect((await expectSameAnswer(server.url, other.url, '/api/v1/models', { token: 'nope' })).status).toBe(401);
    expectEnvelope(await apiClient(server.url).get('/api/v1/models', 'nope'), 401, 'UNAUTHORIZED');
  });

  it('answers a model the same way: public, private to its owner and an admin, unknown and malformed ids', async () => {
    expect((await expectSameAnswer(server.url, other.url, `/api/v1/models/${publicModel}`)).status).toBe(200);
    expect((await expectSameAnswer(server.url, other.url, `/api/v1/models/${privateModel}`, { token: owner.token })).body).toContain(
      'routes',
    );
    expect((await expectSameAnswer(server.url, other.url, `/api/v1/models/${privateModel}`, { token: admin.token })).status).toBe(200);
    for (const token of [undefined, reader.token])
      expect((await expectSameAnswer(server.url, other.url, `/api/v1/models/${privateModel}`, { token })).status).toBe(404);
    for (const id of [
      'model_doesnotexist',
      'abc',
      'MODEL_X',
      `${publicModel}.json`,
      `${publicModel}%20`,
      'model_%61b',
      'a'.repeat(150),
      '..',
    ])
      expect((await expectSameAnswer(server.url, other.url, `/api/v1/models/${id}`)).status, id).toBe(404);
    // Past Fastify's maxParamLength (200) the router falls back to trpc-to-openapi's route; past
    // the id's own limit (2048) the procedure refuses it.
    for (const id of ['b'.repeat(300), `model_${'c'.repeat(2100)}`]) await expectSameAnswer(server.url, other.url, `/api/v1/models/${id}`);
    expect((await expectSameAnswer(server.url, other.url, `/api/v1/models/${publicModel}`, { token: 'Bearer-less' })).status).toBe(401);
    expect((await expectSameAnswer(server.url, other.url, `/api/v1/models/${publicModel}?model_id=model_other`)).status).toBe(200);
  });

  it('lists community posts the same way', async () => {
    for (const path of [
      '/api/v1/community/posts?limit=20',
      '/api/v1/community/posts',
      '/api/v1/community/posts?sort=popular&tag=fast&limit=2',
    ])
      expect((await expectSameAnswer(server.url, other.url, path)).status, path).toBe(200);
    expect((await expectSameAnswer(server.url, other.url, '/api/v1/community/posts', { token: admin.token })).status).toBe(200);
    for (const path of ['/api/v1/community/posts?limit=101', '/api/v1/community/posts?sort=oldest', '/api/v1/community/posts?page=-1'])
      expect((await expectSameAnswer(server.url, other.url, path)).status, path).toBe(400);
  });

  it('answers the profile the same way: access token, API key, no credential, a bad one, a revoked session', async () => {
    expect((await expectSameAnswer(server.url, other.url, '/api/v1/users/profile', { token: reader.token })).status).toBe(200);
    expect(
      (await expectSameAnswer(server.url, other.url, `/api/v1/users/profile?user_id=${owner.id}`, { token: reader.token })).body,
    ).toContain(reader.id);
    const api = apiClient(server.url);
    const key = await api.post('/api/v1/api-keys', { name: 'reads' }, reader.token);
    expect(key.status).toBe(201);
    expect((await expectSameAnswer(server.url, other.url, '/api/v1/users/profile', { token: key.body.key })).status).toBe(200);
    expect((await expectSameAnswer(server.url, other.url, '/api/v1/users/profile')).status).toBe(401);
    expect((await expectSameAnswer(server.url, other.url, '/api/v1/users/profile', { token: `${reader.token}x` })).status).toBe(401);
    const leaving = await signUp(api, 'leaving');
    expect((await api.post('/api/v1/auth/logout', {}, leaving.token)).status).toBe(200);
    expect((await expectSameAnswer(server.url, other.url, '/api/v1/users/profile', { token: leaving.token })).status).toBe(401);
  });

  it('gets values from the services that the serializer writes with JSON.stringify (its cheap way)', async () => {
    const outputOf = (path: string) => procedureAt(appRouter, path).output;
    const { platform } = server.server;
    const db = platform.db;
    const actorOf = (user: TestUser) => platform.authenticate({ authorization: `Bearer ${user.token}` });
    const [ownerActor, adminActor] = [await actorOf(owner), await actorOf(admin)];
    const values: [string, unknown][] = [
      ['models.list', await listModels(db, null, ListModelsInput.parse({ limit: '20' }))],
      ['models.list', await listModels(db, ownerActor, ListModelsInput.parse({ limit: '20', sort: 'name' }))],
      ['models.get', await getModel(db, null, publicModel)],
      ['models.get', await getModel(db, adminActor, privateModel)],
      ['community.list', await listPosts(db, null, ListPostsInput.parse({ limit: '20' }))],
      ['community.list', await listPosts(db, adminActor, ListPostsInput.parse({ tag: 'fast' }))],
      ['users.profile', await getProfile(db, ownerActor)],
    ];
    for (const [path, value] of values) expect(compileExactCheck(outputOf(path))(value), path).toBe(true);
  });

  it('leaves odd paths, HEAD and other methods to trpc-to-openapi', async () => {
    for (const path of ['/api/v1/models/', '/api/v1/MODELS', '/api/v1/mod%65ls', '/api/v1/users/profile/', '/api/v1/community/posts/'])
      await expectSameAnswer(server.url, other.url, path, { token: reader.token });
    for (const method of ['HEAD', 'DELETE', 'OPTIONS']) await expectSameAnswer(server.url, other.url, '/api/v1/models', { method });
    await expectSameAnswer(server.url, other.url, '/api/v1/users/profile', { method: 'HEAD', token: reader.token });
  });

  it('answers the same JSON as the procedures do over /trpc', async () => {
    const trpc = async (procedure: string, input: unknown, token?: string) => {
      const query = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
      const response = await fetch(`${server.url}/trpc/${procedure}${query}`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      expect(response.status).toBe(200);
      return JSON.stringify(((await response.json()) as { result: { data: unknown } }).result.data);
    };
    const rest = async (path: string, token?: string) =>
      (await fetch(`${server.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} })).text();
    expect(await rest('/api/v1/models?limit=20')).toBe(await trpc('models.list', { limit: 20 }));
    expect(await rest(`/api/v1/models/${privateModel}`, owner.token)).toBe(
      await trpc('models.get', { model_id: privateModel }, owner.token),
    );
    expect(await rest('/api/v1/community/posts?limit=20')).toBe(await trpc('community.list', { limit: 20 }));
    expect(await rest('/api/v1/users/profile', reader.token)).toBe(await trpc('users.profile', undefined, reader.token));
  });
});

describe('generated REST reads keep the rate-limit tiers', () => {
  let server: TestServer;
  let other: { url: string; server: MaasServer };

  beforeAll(async () => {
    server = await startTestServer({ MAAS_RATE_LIMIT_ANONYMOUS: '5', MAAS_RATE_LIMIT_AUTHENTICATED: '3' });
    other = await reference(server);
  });
  afterAll(async () => {
    await other?.server.close();
    await server?.close();
  });

  it('counts and refuses anonymous and signed-in reads as trpc-to-openapi does, with the same headers', async () => {
    // Two anonymous requests on each server (sign-up and sign-in here, two sign-ins there), so that
    // both count the same before the reads.
    const user = await signUp(apiClient(server.url), 'limited');
    for (let i = 0; i < 2; i++) await signIn(apiClient(other.url), user.username, user.password);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await expectSameAnswer(server.url, other.url, '/api/v1/models?limit=5')).status);
    for (let i = 0; i < 4; i++)
      statuses.push((await expectSameAnswer(server.url, other.url, '/api/v1/users/profile', { token: user.token })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 200, 200, 200, 429]);
  });
});
