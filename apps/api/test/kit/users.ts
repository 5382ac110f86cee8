import type { ApiClient } from './http.js';
import type { TestServer } from './server.js';

export type Role = 'user' | 'developer' | 'admin';

let userCounter = 0;

/** Registers a fresh user and signs in; returns its id and tokens. */
export async function signUp(api: ApiClient, prefix = 'user') {
  userCounter += 1;
  const suffix = `${process.pid}${userCounter}${Math.random().toString(36).slice(2, 6)}`;
  const username = `${prefix}_${suffix}`.slice(0, 32);
  const email = `${username}@example.com`;
  const password = 'correct-horse-battery';
  const registered = await api.post('/api/v1/auth/register', { username, email, password });
  if (registered.status !== 201) throw new Error(`register failed: ${JSON.stringify(registered.body)}`);
  const tokens = await api.post('/api/v1/auth/token', { username, password });
  if (tokens.status !== 200) throw new Error(`login failed: ${JSON.stringify(tokens.body)}`);
  return {
    id: registered.body.id as string,
    username,
    email,
    password,
    token: tokens.body.access_token as string,
    refreshToken: tokens.body.refresh_token as string,
  };
}

/** Makes a user an admin or developer directly in the database (role changes need an admin first). */
export async function setRole(server: TestServer, userId: string, role: Role) {
  await server.server.platform.db.updateTable('users').set({ role }).where('id', '=', userId).execute();
  server.server.platform.sessions.clear();
  server.server.platform.apiKeys?.clear();
}

export type TestUser = Awaited<ReturnType<typeof signUp>>;

/** Registers `count` users at once (argon2 makes each sign-up take a few tens of ms). */
export function signUpMany(api: ApiClient, count: number, prefix: string): Promise<TestUser[]> {
  return Promise.all(Array.from({ length: count }, () => signUp(api, prefix)));
}

const DEFAULT_PREFIX: Record<Role, string> = { user: 'user', developer: 'dev', admin: 'admin' };

/** Registers a fresh user and gives it `role`; `prefix` starts its username. */
export async function signUpAs(server: TestServer, api: ApiClient, role: Role, prefix = DEFAULT_PREFIX[role]): Promise<TestUser> {
  const user = await signUp(api, prefix);
  if (role !== 'user') await setRole(server, user.id, role);
  return user;
}

export async function signIn(api: ApiClient, login: string, password: string) {
  const res = await api.post('/api/v1/auth/token', { username: login, password });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { token: res.body.access_token as string, refreshToken: res.body.refresh_token as string };
}
