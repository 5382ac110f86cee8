import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, apiClient, publishTool, signUp, signUpAs, startTestServer, type TestServer, type TestUser } from '../kit/index.js';
import { seedDemoMarketplace } from '@maas/api/testing';

let server: TestServer;
let api: ApiClient;
let author: TestUser;
let other: TestUser;
let boss: TestUser;
let plain: TestUser;
/** A category only this file's catalogue tests use, so counts are exact. */
const shelf = `shelf-${Date.now().toString(36)}`;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  [author, other, boss, plain] = await Promise.all([
    signUpAs(server, api, 'developer', 'author'),
    signUpAs(server, api, 'developer', 'other'),
    signUpAs(server, api, 'admin'),
    signUp(api, 'plain'),
  ]);
});
afterAll(() => server?.close());

describe('publishing tools', () => {
  it('lets a developer publish a tool (201) with the detail shape', async () => {
    const res = await api.post(
      '/api/v1/tools',
      {
        name: '代码生成器',
        description: '基于AI的代码生成工具',
        full_description: '# Long\n\ntext',
        category: 'Development',
        price: 9.99,
        version: '2.1.0',
      },
      author.token,
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: '代码生成器',
      description: '基于AI的代码生成工具',
      full_description: '# Long\n\ntext',
      category: 'development',
      price: 9.99,
      rating: 0,
      downloads: 0,
      author: { id: author.id, username: author.username },
      version: '2.1.0',
      status: 'published',
      reviews_count: 0,
      owned: false,
    });
    expect(res.body.id).toMatch(/^tool_/);
    expect(Date.parse(res.body.created_at)).not.toBeNaN();
  });

  it('refuses to let a plain user publish (403) and anonymous callers (401)', async () => {
    expect((await api.post('/api/v1/tools', { name: 'x', category: 'dev', price: 0 }, plain.token)).status).toBe(403);
    expect((await api.post('/api/v1/tools', { name: 'x', category: 'dev', price: 0 })).status).toBe(401);
  });

  it('rejects invalid prices, categories and unknown fields with 400', async () => {
    for (const body of [
      { name: 'x', category: 'dev', price: -1 },
      { name: 'x', category: 'dev', price: 1.0000000001 },
      { name: 'x', category: 'dev', price: 'abc' },
      { name: 'x', category: 'not a slug!', price: 1 },
      { name: '', category: 'dev', price: 1 },
      { name: 'x', category: 'dev', price: 1, status: 'archived' },
      { name: 'x', category: 'dev', price: 1, author_id: other.id },
    ]) {
      const res = await api.post('/api/v1/tools', body, author.token);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('INVALID_REQUEST');
    }
  });
});

describe('listing tools', () => {
  let tools: Array<{ id: string; price: number }> = [];

  beforeAll(async () => {
    tools = [];
    for (const [index, price] of [5, 0, 12.5, 1].entries()) {
      tools.push(await publishTool(api, author, { name: `Listed ${index} needle${index % 2}`, category: shelf, price }));
    }
    await publishTool(api, author, { name: 'Hidden draft needle0', category: shelf, price: 3, status: 'draft' });
    await publishTool(api, author, { name: 'Unlisted needle0', category: shelf, price: 3, status: 'unlisted' });
  });

  it('lists only published tools with the contract shape and pagination', async () => {
    const res = await api.get(`/api/v1/tools?category=${shelf}&page=1&limit=20`);
    expect(res.status).toBe(200);
    expect(res.body.pagination).toEqual({ page: 1, limit: 20, total: 4, pages: 1 });
    const first = res.body.data[0];
    expect(Object.keys(first).sort()).toEqual(
      // The contract's fields, plus issue 16's kind, price_per_call and calls_30d.
      [
        'author',
        'category',
        'created_at',
        'description',
        'downloads',
        'id',
        'name',
        'price',
        'rating',
        'kind',
        'price_per_call',
        'calls_30d',
      ].sort(),
    );
    expect(first.author).toEqual({ id: author.id, username: author.username });
    expect(res.body.data.map((t: { name: string }) => t.name)).not.toContain('Hidden draft needle0');
    expect(res.body.data.map((t: { name: string }) => t.name)).not.toContain('Unlisted needle0');
  });

  it('sorts by price ascending by default and descending on request', async () => {
    const asc = await api.get(`/api/v1/tools?category=${shelf}&sort=price`);
    expect(asc.body.data.map((t: { price: number }) => t.price)).toEqual([0, 1, 5, 12.5]);
    const desc = await api.get(`/api/v1/tools?category=${shelf}&sort=price&order=desc`);
    expect(desc.body.data.map((t: { price: number }) => t.price)).toEqual([12.5, 5, 1, 0]);
  });

  it('sorts by created_at newest first by default', async () => {
    const res = await api.get(`/api/v1/tools?category=${shelf}`);
    expect(res.body.data.map((t: { id: string }) => t.id)).toEqual([...tools].reverse().map((t) => t.id));
  });

  it('searches name and description case-insensitively, treating % and _ literally', async () => {
    const res = await api.get(`/api/v1/tools?category=${shelf}&search=NEEDLE1`);
    expect(res.body.data.map((t: { name: string }) => t.name).sort()).toEqual(['Listed 1 needle1', 'Listed 3 needle1']);
    expect((await api.get(`/api/v1/tools?category=${shelf}&search=%25`)).body.pagination.total).toBe(0);
  });

  it('pages without overlap and reports pages', async () => {
    const one = await api.get(`/api/v1/tools?category=${shelf}&limit=3&page=1`);
    const two = await api.get(`/api/v1/tools?category=${shelf}&limit=3&page=2`);
    expect(one.body.pagination).toEqual({ page: 1, limit: 3, total: 4, pages: 2 });
    expect(two.body.data).toHaveLength(1);
    const ids = [...one.body.data, ...two.body.data].map((t: { id: string }) => t.id);
    expect(new Set(ids).size).toBe(4);
  });

  it('rejects out-of-range paging and unknown sorts with 400', async () => {
    for (const query of ['limit=0', 'limit=101', 'page=0', 'page=-1', 'limit=abc', 'sort=name', 'order=up']) {
      const res = await api.get(`/api/v1/tools?${query}`);
      expect(res.status, query).toBe(400);
    }
    expect((await api.get('/api/v1/tools?limit=100')).status).toBe(200);
  });
});

describe('reading one tool', () => {
  it('serves the static /tools/purchases and /tools/owned paths rather than /tools/{tool_id}', async () => {
    const purchases = await api.get('/api/v1/tools/purchases', plain.token);
    expect(purchases.status).toBe(200);
    expect(purchases.body).toEqual({ data: [], pagination: { page: 1, limit: 20, total: 0, pages: 0 } });
    const owned = await api.get('/api/v1/tools/owned', plain.token);
    expect(owned.status).toBe(200);
    expect(owned.body.pagination.total).toBe(0);
    // Both need a user: without one they are 401, not a 404 for a tool called "owned".
    expect((await api.get('/api/v1/tools/owned')).status).toBe(401);
    expect((await api.get('/api/v1/tools/purchases')).status).toBe(401);
  });

  it('is public: anonymous callers see owned=false, a bad token is a 401', async () => {
    const tool = await publishTool(api, author, { price: 2 });
    const res = await api.get(`/api/v1/tools/${tool.id}`);
    expect(res.status).toBe(200);
    expect(res.body.owned).toBe(false);
    expect((await api.get(`/api/v1/tools/${tool.id}`, 'not-a-token')).status).toBe(401);
  });

  it('shows drafts only to their author and admins, unlisted tools to anyone with the id', async () => {
    const draft = await publishTool(api, author, { status: 'draft' });
    const unlisted = await publishTool(api, author, { status: 'unlisted' });
    expect((await api.get(`/api/v1/tools/${draft.id}`)).status).toBe(404);
    expect((await api.get(`/api/v1/tools/${draft.id}`, other.token)).status).toBe(404);
    expect((await api.get(`/api/v1/tools/${draft.id}`, author.token)).status).toBe(200);
    expect((await api.get(`/api/v1/tools/${draft.id}`, boss.token)).status).toBe(200);
    const res = await api.get(`/api/v1/tools/${unlisted.id}`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('unlisted');
  });

  it('answers 404 for an id that names nothing, whatever its shape', async () => {
    expect((await api.get('/api/v1/tools/tool_doesnotexist')).status).toBe(404);
    expect((await api.get('/api/v1/tools/not-an-id')).status).toBe(404);
  });
});

describe('editing and deleting tools', () => {
  it('lets the author edit and publish a draft', async () => {
    const draft = await publishTool(api, author, { status: 'draft', price: 1 });
    const res = await api.patch(`/api/v1/tools/${draft.id}`, { status: 'published', price: 4.5, name: 'Renamed' }, author.token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'published', price: 4.5, name: 'Renamed' });
  });

  it("refuses another developer's edit and delete (403) and changes nothing", async () => {
    const tool = await publishTool(api, author, { name: 'Mine', price: 3 });
    const before = (await api.get(`/api/v1/tools/${tool.id}`)).body;
    const edit = await api.patch(`/api/v1/tools/${tool.id}`, { name: 'Stolen', price: 0 }, other.token);
    expect(edit.status).toBe(403);
    expect(edit.body.error.code).toBe('FORBIDDEN');
    expect((await api.delete(`/api/v1/tools/${tool.id}`, other.token)).status).toBe(403);
    expect((await api.patch(`/api/v1/tools/${tool.id}`, { name: 'Stolen' })).status).toBe(401);
    expect((await api.get(`/api/v1/tools/${tool.id}`)).body).toEqual(before);
  });

  it("answers 404 to someone else's draft edit, without revealing it", async () => {
    const draft = await publishTool(api, author, { status: 'draft' });
    expect((await api.patch(`/api/v1/tools/${draft.id}`, { name: 'x' }, other.token)).status).toBe(404);
    expect((await api.delete(`/api/v1/tools/${draft.id}`, plain.token)).status).toBe(404);
    expect((await api.get(`/api/v1/tools/${draft.id}`, author.token)).body.name).not.toBe('x');
  });

  it('lets an admin edit and delete any tool; a deleted tool is gone from reads and the list', async () => {
    const tool = await publishTool(api, author, { category: 'to-delete' });
    expect((await api.patch(`/api/v1/tools/${tool.id}`, { description: 'moderated' }, boss.token)).body.description).toBe('moderated');
    const del = await api.delete(`/api/v1/tools/${tool.id}`, boss.token);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ id: tool.id, deleted: true });
    expect((await api.get(`/api/v1/tools/${tool.id}`)).status).toBe(404);
    expect((await api.get('/api/v1/tools?category=to-delete')).body.pagination.total).toBe(0);
    expect((await api.delete(`/api/v1/tools/${tool.id}`, author.token)).status).toBe(404);
  });
});

describe('OpenAPI document', () => {
  it('documents the marketplace paths', async () => {
    const doc = (await api.get('/api/v1/openapi.json')).body;
    for (const path of [
      '/tools',
      '/tools/{tool_id}',
      '/tools/{tool_id}/purchase',
      '/tools/{tool_id}/reviews',
      '/tools/purchases',
      '/tools/owned',
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
  });
});

describe('demo data', () => {
  it('seeds free and priced tools by a demo author who cannot sign in, once however often it runs', async () => {
    await seedDemoMarketplace(server.server.platform);
    await seedDemoMarketplace(server.server.platform);
    const demo = await server.server.platform.db
      .selectFrom('users')
      .select(['id', 'role'])
      .where('username', '=', 'demo_author')
      .executeTakeFirstOrThrow();
    expect(demo.role).toBe('developer');
    const tools = (await api.get('/api/v1/tools?limit=100')).body.data.filter((t: { author: { id: string } }) => t.author.id === demo.id);
    expect(tools.length).toBeGreaterThanOrEqual(3);
    expect(tools.some((t: { price: number }) => t.price === 0)).toBe(true);
    expect(tools.some((t: { price: number }) => t.price > 0)).toBe(true);
    expect(new Set(tools.map((t: { name: string }) => t.name)).size).toBe(tools.length);
    expect((await api.post('/api/v1/auth/token', { username: 'demo_author', password: 'anything-at-all' })).status).toBe(401);
  });
});
