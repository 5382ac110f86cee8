import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiClient,
  apiClient,
  signUp,
  signUpAs,
  signUpMany,
  startTestServer,
  type TestServer,
  type TestUser,
  writeComment,
  writePost,
} from '../kit/index.js';

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

const like = (postId: string, user: TestUser) => api.post(`/api/v1/community/posts/${postId}/like`, undefined, user.token);
const unlike = (postId: string, user: TestUser) => api.delete(`/api/v1/community/posts/${postId}/like`, user.token);

async function likeRows(postId: string): Promise<number> {
  const rows = await server.server.platform.db.selectFrom('post_likes').select('user_id').where('post_id', '=', postId).execute();
  return rows.length;
}

describe('likes', () => {
  it('like and unlike are idempotent and answer {liked, likes}', async () => {
    const post = await writePost(api, alice);
    expect((await like(post.id, bob)).body).toEqual({ liked: true, likes: 1 });
    expect((await like(post.id, bob)).body).toEqual({ liked: true, likes: 1 });
    expect((await like(post.id, alice)).body).toEqual({ liked: true, likes: 2 });
    expect((await unlike(post.id, bob)).body).toEqual({ liked: false, likes: 1 });
    expect((await unlike(post.id, bob)).body).toEqual({ liked: false, likes: 1 });
    expect((await api.get(`/api/v1/community/posts/${post.id}`)).body.likes).toBe(1);
    expect((await api.post(`/api/v1/community/posts/${post.id}/like`, undefined)).status).toBe(401);
    expect((await like('post_doesnotexist', bob)).status).toBe(404);
  });

  it('counts parallel likes by many users exactly', async () => {
    const post = await writePost(api, alice);
    const users = await signUpMany(api, 30, 'fan');
    const results = await Promise.all(users.map((u) => like(post.id, u)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const detail = (await api.get(`/api/v1/community/posts/${post.id}`)).body;
    expect(detail.likes).toBe(30);
    expect(await likeRows(post.id)).toBe(30);
    expect(Math.max(...results.map((r) => r.body.likes))).toBe(30);

    // Half of them take it back, concurrently with the rest liking again.
    await Promise.all(users.map((u, i) => (i % 2 === 0 ? unlike(post.id, u) : like(post.id, u))));
    expect((await api.get(`/api/v1/community/posts/${post.id}`)).body.likes).toBe(15);
    expect(await likeRows(post.id)).toBe(15);
  });

  it('counts parallel likes by one user once', async () => {
    const post = await writePost(api, alice);
    const results = await Promise.all(Array.from({ length: 30 }, () => like(post.id, bob)));
    expect(results.every((r) => r.status === 200 && r.body.liked === true && r.body.likes === 1)).toBe(true);
    expect((await api.get(`/api/v1/community/posts/${post.id}`)).body.likes).toBe(1);
    const undone = await Promise.all(Array.from({ length: 30 }, () => unlike(post.id, bob)));
    expect(undone.every((r) => r.status === 200 && r.body.likes === 0)).toBe(true);
    expect(await likeRows(post.id)).toBe(0);
  });
});

describe('comments', () => {
  it('are created (201), listed oldest first with pagination and counted on the post', async () => {
    const post = await writePost(api, alice);
    const first = await api.post(`/api/v1/community/posts/${post.id}/comments`, { content: '  第一条  ' }, bob.token);
    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      id: expect.stringMatching(/^cmt_/),
      post_id: post.id,
      content: '第一条',
      author: { id: bob.id, username: bob.username, avatar: null },
      created_at: expect.any(String),
      hidden: false,
    });
    await writeComment(api, alice, post.id, 'second');
    await writeComment(api, bob, post.id, 'third');
    const page = await api.get(`/api/v1/community/posts/${post.id}/comments?limit=2`);
    expect(page.status).toBe(200);
    expect(page.body.pagination).toEqual({ page: 1, limit: 2, total: 3, pages: 2 });
    expect(page.body.data.map((c: { content: string }) => c.content)).toEqual(['第一条', 'second']);
    expect((await api.get(`/api/v1/community/posts/${post.id}`)).body.comments).toBe(3);
  });

  it('validate content 1–5000 characters and need a user', async () => {
    const post = await writePost(api, alice);
    for (const content of ['', '   ', 'x'.repeat(5001)]) {
      expect((await api.post(`/api/v1/community/posts/${post.id}/comments`, { content }, bob.token)).status).toBe(400);
    }
    expect((await api.post(`/api/v1/community/posts/${post.id}/comments`, { content: 'x'.repeat(5000) }, bob.token)).status).toBe(201);
    expect((await api.post(`/api/v1/community/posts/${post.id}/comments`, { content: 'hi' })).status).toBe(401);
    expect((await api.post('/api/v1/community/posts/post_doesnotexist/comments', { content: 'hi' }, bob.token)).status).toBe(404);
  });

  it('count exactly under parallel comments', async () => {
    const post = await writePost(api, alice);
    await Promise.all(Array.from({ length: 20 }, (_, i) => writeComment(api, i % 2 ? alice : bob, post.id, `c${i}`)));
    expect((await api.get(`/api/v1/community/posts/${post.id}`)).body.comments).toBe(20);
  });

  it('may be deleted by their author, the post author or an admin, and by no one else', async () => {
    const post = await writePost(api, alice);
    const carol = await signUp(api, 'carol');
    const byBob = await writeComment(api, bob, post.id);
    const byCarol = await writeComment(api, carol, post.id);
    const another = await writeComment(api, carol, post.id);

    const refused = await api.delete(`/api/v1/community/posts/${post.id}/comments/${byCarol.id}`, bob.token);
    expect(refused.status).toBe(403);
    expect((await api.get(`/api/v1/community/posts/${post.id}/comments`)).body.pagination.total).toBe(3);

    expect((await api.delete(`/api/v1/community/posts/${post.id}/comments/${byBob.id}`, bob.token)).body).toEqual({
      id: byBob.id,
      deleted: true,
    });
    expect((await api.delete(`/api/v1/community/posts/${post.id}/comments/${byCarol.id}`, alice.token)).status).toBe(200);
    expect((await api.delete(`/api/v1/community/posts/${post.id}/comments/${another.id}`, boss.token)).status).toBe(200);
    expect((await api.delete(`/api/v1/community/posts/${post.id}/comments/${another.id}`, boss.token)).status).toBe(404);
    expect((await api.get(`/api/v1/community/posts/${post.id}`)).body.comments).toBe(0);
  });

  it("does not reach a comment through another post's path", async () => {
    const [one, two] = [await writePost(api, alice), await writePost(api, bob)];
    const comment = await writeComment(api, alice, one.id);
    // bob authors post two, but the comment belongs to post one.
    expect((await api.delete(`/api/v1/community/posts/${two.id}/comments/${comment.id}`, bob.token)).status).toBe(404);
    expect((await api.get(`/api/v1/community/posts/${one.id}`)).body.comments).toBe(1);
  });

  it('disappear with their post', async () => {
    const post = await writePost(api, alice);
    await writeComment(api, bob, post.id);
    await like(post.id, bob);
    expect((await api.delete(`/api/v1/community/posts/${post.id}`, alice.token)).status).toBe(200);
    expect((await api.get(`/api/v1/community/posts/${post.id}/comments`)).status).toBe(404);
    expect(await likeRows(post.id)).toBe(0);
  });
});
