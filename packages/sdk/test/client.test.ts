import { TRPCClientError } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { apiClient, type ApiClient, setRole, signUp, startTestServer, type TestServer } from '../../../apps/api/test/kit/index.js';
import { createMaasClient, isMaasError, MaasError, paginate, type TokenPair, type UserProfile } from '../src/index.js';

let server: TestServer;
let api: ApiClient;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
});
afterAll(() => server?.close());

let counter = 0;
function newAccount(prefix = 'sdk') {
  counter += 1;
  const username = `${prefix}_${process.pid}_${counter}_${Math.random().toString(36).slice(2, 6)}`.slice(0, 32);
  return { username, email: `${username}@example.com`, password: 'correct-horse-battery' };
}

async function rejection(promise: Promise<unknown>): Promise<MaasError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof MaasError) return error;
    throw new Error(`expected a MaasError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected the call to fail');
}

describe('createMaasClient against a live server', () => {
  it('registers, signs in and reads the typed profile', async () => {
    const account = newAccount();
    const tokens: TokenPair[] = [];
    const client = createMaasClient({ baseUrl: server.url, onTokens: (pair) => void tokens.push(pair) });

    const registered = await client.auth.register.mutate(account);
    expect(registered).toMatchObject({ username: account.username, email: account.email, role: 'user' });

    const pair = await client.signIn({ username: account.username, password: account.password });
    expect(pair.token_type).toBe('Bearer');
    expect(tokens).toEqual([pair]);
    expect(client.getTokens()).toEqual({ accessToken: pair.access_token, refreshToken: pair.refresh_token });

    const profile = await client.users.profile.query();
    expectTypeOf(profile).toEqualTypeOf<UserProfile>();
    expect(profile).toMatchObject({ id: registered.id, username: account.username });
  });

  it('rejects with a MaasError carrying code, status and request_id on a 401', async () => {
    const client = createMaasClient({ baseUrl: server.url });
    const error = await rejection(client.users.profile.query());
    expect(error).toBeInstanceOf(MaasError);
    expect(error).toBeInstanceOf(TRPCClientError);
    expect(error).toBeInstanceOf(Error);
    expect(isMaasError(error)).toBe(true);
    expect(error).toMatchObject({ name: 'MaasError', code: 'UNAUTHORIZED', status: 401, path: 'users.profile' });
    expect(error.request_id).toMatch(/^req_/);
    expect(error.message.length).toBeGreaterThan(0);
  });

  it('reports the invalid field in details on a 400', async () => {
    const client = createMaasClient({ baseUrl: server.url, headers: { 'accept-language': 'en' } });
    const error = await rejection(client.auth.register.mutate({ ...newAccount(), email: 'not-an-email' }));
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', status: 400 });
    expect(error.details).toMatchObject({ field: 'email' });
    expect(error.request_id).toMatch(/^req_/);
  });

  it('answers CONFLICT with the clashing field on a 409, without retrying the mutation', async () => {
    const client = createMaasClient({ baseUrl: server.url });
    const account = newAccount();
    await client.auth.register.mutate(account);
    const error = await rejection(client.auth.register.mutate({ ...account, email: `other_${account.email}` }));
    expect(error).toMatchObject({ code: 'CONFLICT', status: 409, details: { field: 'username' } });
  });

  it('sends an sk- API key as a Bearer token', async () => {
    const user = await signUp(api);
    const owner = createMaasClient({ baseUrl: server.url, token: user.token });
    const created = await owner.apiKeys.create.mutate({ name: 'sdk test' });
    expect(created.key).toMatch(/^sk-/);

    const client = createMaasClient({ baseUrl: server.url, apiKey: created.key });
    const profile = await client.users.profile.query();
    expect(profile.id).toBe(user.id);
  });
});

describe('automatic token refresh', () => {
  it('refreshes once on a 401, stores the new pair, tells onTokens and retries the call', async () => {
    const user = await signUp(api);
    const seen: TokenPair[] = [];
    const client = createMaasClient({
      baseUrl: server.url,
      token: 'not-a-valid-access-token',
      refreshToken: user.refreshToken,
      onTokens: (pair) => void seen.push(pair),
    });

    // Concurrent 401s share one refresh: a second use of the rotated refresh token would revoke the session.
    const [a, b, c] = await Promise.all([client.users.profile.query(), client.users.profile.query(), client.billing.wallet.query()]);
    expect(a.id).toBe(user.id);
    expect(b.id).toBe(user.id);
    expect(c).toBeDefined();
    expect(seen).toHaveLength(1);
    expect(seen[0]?.refresh_token).not.toBe(user.refreshToken);
    expect(client.getTokens()).toEqual({ accessToken: seen[0]?.access_token, refreshToken: seen[0]?.refresh_token });

    // The old refresh token was rotated: the server refuses it now.
    const reused = await rejection(createMaasClient({ baseUrl: server.url }).auth.refresh.mutate({ refresh_token: user.refreshToken }));
    expect(reused.code).toBe('UNAUTHORIZED');
  });

  it('fails with the 401 when the session was revoked, since the refresh is refused too', async () => {
    const user = await signUp(api);
    // Sign out: the session is revoked, so neither the access token nor the refresh token works.
    const logout = await api.post('/api/v1/auth/logout', {}, user.token);
    expect(logout.status).toBe(200);
    let notified = 0;
    const client = createMaasClient({
      baseUrl: server.url,
      token: user.token,
      refreshToken: user.refreshToken,
      onTokens: () => void notified++,
    });
    const error = await rejection(client.users.profile.query());
    expect(error).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    expect(notified).toBe(0);
    // The refused refresh token is dropped, so later calls do not try it again.
    expect(client.getTokens().refreshToken).toBeNull();
  });

  it('starts from a refresh token alone', async () => {
    const user = await signUp(api);
    const client = createMaasClient({ baseUrl: server.url, refreshToken: user.refreshToken });
    expect((await client.users.profile.query()).id).toBe(user.id);
  });

  it('refreshes for raw requests too', async () => {
    const user = await signUp(api);
    const client = createMaasClient({ baseUrl: server.url, token: 'expired', refreshToken: user.refreshToken });
    const response = await client.raw.fetch('/api/v1/users/profile');
    expect(response.status).toBe(200);
    expect(((await response.json()) as UserProfile).id).toBe(user.id);
  });
});

describe('raw requests', () => {
  it('rejects a non-2xx answer with a MaasError read from the REST envelope', async () => {
    const client = createMaasClient({ baseUrl: server.url });
    const error = await rejection(client.raw.fetch('/api/v1/users/profile'));
    expect(error).toMatchObject({ code: 'UNAUTHORIZED', status: 401, path: '/api/v1/users/profile' });
    expect(error.request_id).toMatch(/^req_/);
  });
});

describe('paginate', () => {
  it('walks every page of adminUsers.list and yields each item once', async () => {
    const admin = await signUp(api, 'pgadmin');
    await setRole(server, admin.id, 'admin');
    const marker = `pg${process.pid}${Math.random().toString(36).slice(2, 6)}`;
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await signUp(api, marker)).id);

    const client = createMaasClient({ baseUrl: server.url, token: admin.token });
    const seen: string[] = [];
    for await (const user of paginate(client.adminUsers.list, { limit: 2, search: marker })) {
      expectTypeOf(user.disabled).toEqualTypeOf<boolean>();
      seen.push(user.id);
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen)).toEqual(new Set(ids));
  });

  it('accepts a plain function and stops early when the loop breaks', async () => {
    const admin = await signUp(api, 'pgadmin');
    await setRole(server, admin.id, 'admin');
    const client = createMaasClient({ baseUrl: server.url, token: admin.token });
    const pagesAsked: unknown[] = [];
    let taken = 0;
    for await (const _user of paginate(
      (input: { page?: number; limit?: number }) => {
        pagesAsked.push(input.page);
        return client.adminUsers.list.query(input);
      },
      { limit: 1 },
    )) {
      taken += 1;
      if (taken === 2) break;
    }
    expect(pagesAsked).toEqual([1, 2]);
  });
});
