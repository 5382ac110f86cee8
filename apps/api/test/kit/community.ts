import { type ApiClient, setRole, signUp, type TestServer } from './server.js';

export type TestUser = Awaited<ReturnType<typeof signUp>>;

export async function admin(server: TestServer, api: ApiClient): Promise<TestUser> {
  const user = await signUp(api, 'mod');
  await setRole(server, user.id, 'admin');
  return user;
}

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

/** Registers `count` users at once (argon2 makes each sign-up take a few tens of ms). */
export function signUpMany(api: ApiClient, count: number, prefix: string): Promise<TestUser[]> {
  return Promise.all(Array.from({ length: count }, () => signUp(api, prefix)));
}
