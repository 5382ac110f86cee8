import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiClient,
  apiClient,
  signUp,
  signUpAs,
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

const hidePost = (id: string, user: TestUser) => api.post(`/api/v1/admin/community/posts/${id}/hide`, undefined, user.token);
const unhidePost = (id: string, user: TestUser) => api.post(`/api/v1/admin/community/posts/${id}/unhide`, undefined, user.token);
const hideComment = (id: string, user: TestUser) => api.post(`/api/v1/admin/community/comments/${id}/hide`, undefined, user.token);
const unhideComment = (id: string, user: TestUser) => api.post(`/api/v1/admin/community/comments/${id}/unhide`, undefined, user.token);

describe('hiding posts', () => {
  it('is for admins only', async () => {
    const post = await writePost(api, alice);
    expect((await hidePost(post.id, alice)).status).toBe(403);
    expect((await hidePost(post.id, bob)).status).toBe(403);
    expect((await api.post(`/api/v1/admin/community/posts/${post.id}/hide`, undefined)).status).toBe(401);
    expect((await api.get(`/api/v1/community/posts/${post.id}`)).status).toBe(200);
    expect((await hidePost('post_doesnotexist', boss)).status).toBe(404);
  });

  it('removes the post for everyone but admins, including its author, until it is shown again', async () => {
    const tag = `hid${Date.now().toString(36)}`;
    const post = await writePost(api, alice, { tags: [tag] });
    const res = await hidePost(post.id, boss);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: post.id, hidden: true });
    expect((await hidePost(post.id, boss)).body).toEqual({ id: post.id, hidden: true });

    for (const viewer of [undefined, alice.token, bob.token]) {
      expect((await api.get(`/api/v1/community/posts/${post.id}`, viewer)).status).toBe(404);
      expect((await api.get(`/api/v1/community/posts?tag=${tag}`, viewer)).body.pagination.total).toBe(0);
      expect((await api.get(`/api/v1/community/posts/${post.id}/comments`, viewer)).status).toBe(404);
    }
    expect((await api.post(`/api/v1/community/posts/${post.id}/like`, undefined, bob.token)).status).toBe(404);
    expect((await api.post(`/api/v1/community/posts/${post.id}/comments`, { content: 'x' }, bob.token)).status).toBe(404);
    expect((await api.patch(`/api/v1/community/posts/${post.id}`, { title: 'sneaky' }, alice.token)).status).toBe(404);

    const seenByAdmin = await api.get(`/api/v1/community/posts/${post.id}`, boss.token);
    expect(seenByAdmin.status).toBe(200);
    expect(seenByAdmin.body.hidden).toBe(true);
    expect((await api.get(`/api/v1/community/posts?tag=${tag}`, boss.token)).body.pagination.total).toBe(1);

    expect((await unhidePost(post.id, boss)).body).toEqual({ id: post.id, hidden: false });
    const back = await api.get(`/api/v1/community/posts/${post.id}`, bob.token);
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ hidden: false, title: post.title });
  });
});

describe('hiding comments', () => {
  it('is for admins only', async () => {
    const post = await writePost(api, alice);
    const comment = await writeComment(api, bob, post.id);
    expect((await hideComment(comment.id, alice)).status).toBe(403);
    expect((await hideComment('cmt_doesnotexist', boss)).status).toBe(404);
  });

  it('removes the comment for everyone but admins and keeps the visible count exact', async () => {
    const post = await writePost(api, alice);
    const keep = await writeComment(api, bob, post.id, 'fine');
    const spam = await writeComment(api, bob, post.id, 'spam');

    // Hiding twice in parallel takes it off the count once.
    const hidden = await Promise.all([hideComment(spam.id, boss), hideComment(spam.id, boss)]);
    expect(hidden.map((r) => r.status)).toEqual([200, 200]);
    expect((await api.get(`/api/v1/community/posts/${post.id}`)).body.comments).toBe(1);
    const publicList = (await api.get(`/api/v1/community/posts/${post.id}/comments`, alice.token)).body;
    expect(publicList.data.map((c: { id: string }) => c.id)).toEqual([keep.id]);
    expect(publicList.pagination.total).toBe(1);
    const adminList = (await api.get(`/api/v1/community/posts/${post.id}/comments`, boss.token)).body;
    expect(adminList.data.map((c: { id: string; hidden: boolean }) => [c.id, c.hidden])).toEqual([
      [keep.id, false],
      [spam.id, true],
    ]);
    // Its author cannot reach it any more either.
    expect((await api.delete(`/api/v1/community/posts/${post.id}/comments/${spam.id}`, bob.token)).status).toBe(404);

    await Promise.all([unhideComment(spam.id, boss), unhideComment(spam.id, boss)]);
    expect((await api.get(`/api/v1/community/posts/${post.id}`)).body.comments).toBe(2);

    // Deleting a hidden comment does not take it off the count twice.
    await hideComment(spam.id, boss);
    expect((await api.delete(`/api/v1/community/posts/${post.id}/comments/${spam.id}`, boss.token)).status).toBe(200);
    expect((await api.get(`/api/v1/community/posts/${post.id}`)).body.comments).toBe(1);
  });
});
