import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, apiClient, signUp, signUpAs, startTestServer, type TestServer, type TestUser, writePost } from '../kit/index.js';
import { seedDemoCommunity } from '@maas/api/testing';

let server: TestServer;
let api: ApiClient;
let alice: TestUser;
let bob: TestUser;
let boss: TestUser;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  [alice, bob, boss] = await Promise.all([signUp(api, 'alice'), signUp(api, 'bob'), signUpAs(server, api, 'admin')]);
});
afterAll(() => server?.close());

describe('writing posts', () => {
  it('creates a post (201) with the contract shape', async () => {
    const res = await api.post(
      '/api/v1/community/posts',
      {
        title: '我的新模型分享',
        content: '我开发了一个新的文本生成模型...',
        category: 'showcase',
        tags: ['nlp', 'text-generation', 'model'],
      },
      alice.token,
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^post_/),
      title: '我的新模型分享',
      content: '我开发了一个新的文本生成模型...',
      category: 'showcase',
      tags: ['nlp', 'text-generation', 'model'],
      author: { id: alice.id, username: alice.username, avatar: null },
      likes: 0,
      comments: 0,
      liked: false,
      hidden: false,
    });
    expect(res.body.created_at).toBe(res.body.updated_at);
  });

  it('needs a signed-in user', async () => {
    expect((await api.post('/api/v1/community/posts', { title: 't', content: 'c', category: 'discussion' })).status).toBe(401);
  });

  it('enforces the limits: title 1–200, content up to 20000, at most 10 well-formed tags, known categories', async () => {
    const ok = { title: 't', content: 'c', category: 'question', tags: [] as string[] };
    const bad = [
      { ...ok, title: '' },
      { ...ok, title: '   ' },
      { ...ok, title: 'x'.repeat(201) },
      { ...ok, content: 'x'.repeat(20_001) },
      { ...ok, category: 'news' },
      { ...ok, tags: Array.from({ length: 11 }, (_, i) => `t${i}`) },
      { ...ok, tags: ['Upper'] },
      { ...ok, tags: ['-leading'] },
      { ...ok, tags: ['has space'] },
      { ...ok, tags: ['x'.repeat(33)] },
      { ...ok, views: 100 },
    ];
    for (const body of bad) {
      const res = await api.post('/api/v1/community/posts', body, alice.token);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.body.error.code).toBe('INVALID_REQUEST');
    }
    const edge = await api.post(
      '/api/v1/community/posts',
      { ...ok, title: 'x'.repeat(200), content: 'y'.repeat(20_000), tags: Array.from({ length: 10 }, (_, i) => `tag-${i}`) },
      alice.token,
    );
    expect(edge.status).toBe(201);
    expect(edge.body.tags).toHaveLength(10);
    const duplicates = await api.post('/api/v1/community/posts', { ...ok, tags: ['a', 'b', 'a'] }, alice.token);
    expect(duplicates.body.tags).toEqual(['a', 'b']);
  });
});

describe('listing posts', () => {
  const marker = `mk${Date.now().toString(36)}`;
  let carol: TestUser;
  let posts: Array<{ id: string }> = [];

  beforeAll(async () => {
    carol = await signUp(api, 'carol');
    posts = [];
    posts.push(await writePost(api, carol, { title: `${marker} first`, category: 'question', tags: ['alpha', marker] }));
    posts.push(
      await writePost(api, carol, {
        title: `${marker} second`,
        category: 'tutorial',
        tags: ['beta', marker],
        content: 'Contains NEEDLE here',
      }),
    );
    posts.push(await writePost(api, carol, { title: `${marker} third`, category: 'question', tags: ['alpha', 'beta', marker] }));
    // Popularity: third gets 2 likes, first 1.
    for (const user of [alice, bob]) await api.post(`/api/v1/community/posts/${posts[2]?.id}/like`, undefined, user.token);
    await api.post(`/api/v1/community/posts/${posts[0]?.id}/like`, undefined, alice.token);
  });

  const ids = (body: { data: Array<{ id: string }> }) => body.data.map((p) => p.id);

  it('lists newest first with the contract item shape', async () => {
    const res = await api.get(`/api/v1/community/posts?tag=${marker}`);
    expect(res.status).toBe(200);
    expect(ids(res.body)).toEqual([posts[2]?.id, posts[1]?.id, posts[0]?.id]);
    expect(Object.keys(res.body.data[0]).sort()).toEqual(
      ['author', 'category', 'comments', 'content', 'created_at', 'hidden', 'id', 'likes', 'tags', 'title', 'updated_at'].sort(),
    );
    expect(res.body.pagination).toEqual({ page: 1, limit: 20, total: 3, pages: 1 });
  });

  it('filters by category, tag, search and author (id or username)', async () => {
    expect(ids((await api.get(`/api/v1/community/posts?tag=${marker}&category=question`)).body)).toEqual([posts[2]?.id, posts[0]?.id]);
    expect(ids((await api.get(`/api/v1/community/posts?tag=${marker}&category=tutorial`)).body)).toEqual([posts[1]?.id]);
    const beta = (await api.get(`/api/v1/community/posts?tag=beta&search=${marker}`)).body;
    expect(ids(beta)).toEqual([posts[2]?.id, posts[1]?.id]);
    expect(ids((await api.get(`/api/v1/community/posts?search=needle&tag=${marker}`)).body)).toEqual([posts[1]?.id]);
    expect((await api.get(`/api/v1/community/posts?author=${carol.id}`)).body.pagination.total).toBe(3);
    expect((await api.get(`/api/v1/community/posts?author=${carol.username.toUpperCase()}`)).body.pagination.total).toBe(3);
    expect((await api.get('/api/v1/community/posts?author=nobody_here')).body.pagination.total).toBe(0);
  });

  it('sorts by popularity (likes, then comments, then recency)', async () => {
    const res = await api.get(`/api/v1/community/posts?tag=${marker}&sort=popular`);
    expect(ids(res.body)).toEqual([posts[2]?.id, posts[0]?.id, posts[1]?.id]);
    expect(res.body.data.map((p: { likes: number }) => p.likes)).toEqual([2, 1, 0]);
  });

  it('pages and rejects out-of-range paging, unknown sorts and bad filters with 400', async () => {
    const one = await api.get(`/api/v1/community/posts?tag=${marker}&limit=2`);
    const two = await api.get(`/api/v1/community/posts?tag=${marker}&limit=2&page=2`);
    expect(one.body.pagination).toEqual({ page: 1, limit: 2, total: 3, pages: 2 });
    expect([...ids(one.body), ...ids(two.body)]).toEqual([posts[2]?.id, posts[1]?.id, posts[0]?.id]);
    expect((await api.get(`/api/v1/community/posts?tag=${marker}&page=9`)).body.data).toEqual([]);
    for (const query of ['limit=0', 'limit=101', 'page=0', 'sort=oldest', 'category=news', 'tag=Bad%20Tag']) {
      expect((await api.get(`/api/v1/community/posts?${query}`)).status, query).toBe(400);
    }
  });

  it('reads one post with liked for the caller', async () => {
    const res = await api.get(`/api/v1/community/posts/${posts[2]?.id}`, alice.token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: posts[2]?.id, likes: 2, liked: true });
    expect((await api.get(`/api/v1/community/posts/${posts[2]?.id}`)).body.liked).toBe(false);
    expect((await api.get('/api/v1/community/posts/post_doesnotexist')).status).toBe(404);
    expect((await api.get('/api/v1/community/posts/not-a-post')).status).toBe(404);
  });
});

describe('editing and deleting posts', () => {
  it('lets the author edit; updated_at moves, created_at stays', async () => {
    const post = await writePost(api, alice, { title: 'Draft title' });
    const res = await api.patch(`/api/v1/community/posts/${post.id}`, { title: 'Final title', tags: ['done'] }, alice.token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ title: 'Final title', tags: ['done'], content: 'content', created_at: post.created_at });
    expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(String(post.created_at)));
    expect((await api.patch(`/api/v1/community/posts/${post.id}`, { title: '' }, alice.token)).status).toBe(400);
  });

  it("refuses another user's edit and delete with 403 and changes nothing", async () => {
    const post = await writePost(api, alice, { title: 'Alice only', tags: ['mine'] });
    const before = (await api.get(`/api/v1/community/posts/${post.id}`)).body;
    const edit = await api.patch(`/api/v1/community/posts/${post.id}`, { title: 'Hacked', content: 'pwned' }, bob.token);
    expect(edit.status).toBe(403);
    expect(edit.body.error.code).toBe('FORBIDDEN');
    expect((await api.delete(`/api/v1/community/posts/${post.id}`, bob.token)).status).toBe(403);
    expect((await api.delete(`/api/v1/community/posts/${post.id}`)).status).toBe(401);
    expect((await api.get(`/api/v1/community/posts/${post.id}`)).body).toEqual(before);
  });

  it('lets an admin edit and delete any post; the author can delete their own', async () => {
    const post = await writePost(api, bob);
    expect((await api.patch(`/api/v1/community/posts/${post.id}`, { category: 'announcement' }, boss.token)).body.category).toBe(
      'announcement',
    );
    const del = await api.delete(`/api/v1/community/posts/${post.id}`, boss.token);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ id: post.id, deleted: true });
    expect((await api.get(`/api/v1/community/posts/${post.id}`)).status).toBe(404);
    const own = await writePost(api, bob);
    expect((await api.delete(`/api/v1/community/posts/${own.id}`, bob.token)).status).toBe(200);
    expect((await api.delete(`/api/v1/community/posts/${own.id}`, bob.token)).status).toBe(404);
  });
});

describe('demo data', () => {
  it('seeds a few posts with tags, likes and comments, once however often it runs', async () => {
    await seedDemoCommunity(server.server.platform);
    await seedDemoCommunity(server.server.platform);
    const posts = (await api.get('/api/v1/community/posts?author=demo_author&limit=100')).body;
    expect(posts.pagination.total).toBeGreaterThanOrEqual(3);
    expect(new Set(posts.data.map((p: { title: string }) => p.title)).size).toBe(posts.data.length);
    expect(posts.data.every((p: { tags: string[] }) => p.tags.length > 0)).toBe(true);
    expect(posts.data.some((p: { likes: number }) => p.likes > 0)).toBe(true);
    const commented = posts.data.find((p: { comments: number }) => p.comments > 0);
    expect(commented).toBeDefined();
    const comments = (await api.get(`/api/v1/community/posts/${commented.id}/comments`)).body;
    expect(comments.pagination.total).toBe(commented.comments);
  });
});
