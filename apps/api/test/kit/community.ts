// Community posts and comments made over the REST API.
import type { ApiClient } from './http.js';
import type { TestUser } from './users.js';

let postCounter = 0;

export async function writePost(api: ApiClient, user: TestUser, overrides: Record<string, unknown> = {}) {
  postCounter += 1;
  const res = await api.post(
    '/api/v1/community/posts',
    { title: `Post ${postCounter}`, content: 'content', category: 'discussion', tags: [], ...overrides },
    user.token,
  );
  if (res.status !== 201) throw new Error(`post failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; likes: number; comments: number; [key: string]: unknown };
}

export async function writeComment(api: ApiClient, user: TestUser, postId: string, content = 'a comment') {
  const res = await api.post(`/api/v1/community/posts/${postId}/comments`, { content }, user.token);
  if (res.status !== 201) throw new Error(`comment failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; [key: string]: unknown };
}
