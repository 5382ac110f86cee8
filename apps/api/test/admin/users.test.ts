import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiClient,
  expectEnvelope,
  setRole,
  signIn,
  signUp,
  signUpAs,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../kit/index.js';

let server: TestServer;
let api: ReturnType<typeof apiClient>;
let admin: TestUser;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  admin = await signUpAs(server, api, 'admin');
});
afterAll(() => server?.close());

interface AdminUserItem {
  id: string;
  username: string;
  email: string;
  role: string;
  disabled: boolean;
  created_at: string;
}
interface UserPage {
  data: AdminUserItem[];
  pagination: { page: number; limit: number; total: number; pages: number };
}

describe('GET /api/v1/admin/users', () => {
  it('lists users with the contract pagination defaults (page 1, limit 20)', async () => {
    await Promise.all(Array.from({ length: 3 }, () => signUp(api, 'listed')));
    const res = await api.get<UserPage>('/api/v1/admin/users', admin.token);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['data', 'pagination']);
    expect(res.body.pagination.page).toBe(1);
    expect(res.body.pagination.limit).toBe(20);
    expect(res.body.pagination.total).toBeGreaterThanOrEqual(4);
    expect(res.body.pagination.pages).toBe(Math.ceil(res.body.pagination.total / 20));
    const item = res.body.data[0];
    expect(Object.keys(item ?? {}).sort()).toEqual(['avatar', 'created_at', 'disabled', 'email', 'id', 'last_login', 'role', 'username']);
    expect(JSON.stringify(res.body)).not.toMatch(/password|hash/i);
  });

  it('pages through every user exactly once', async () => {
    const first = await api.get<UserPage>('/api/v1/admin/users?limit=2&page=1', admin.token);
    const { total, pages } = first.body.pagination;
    expect(pages).toBe(Math.ceil(total / 2));
    const seen: string[] = [];
    for (let page = 1; page <= pages; page++) {
      const res = await api.get<UserPage>(`/api/v1/admin/users?limit=2&page=${page}`, admin.token);
      expect(res.body.pagination).toEqual({ page, limit: 2, total, pages });
      expect(res.body.data.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.data.map((u) => u.id));
    }
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    const beyond = await api.get<UserPage>(`/api/v1/admin/users?limit=2&page=${pages + 1}`, admin.token);
    expect(beyond.status).toBe(200);
    expect(beyond.body.data).toEqual([]);
  });

  it('searches username and email case-insensitively', async () => {
    const target = await signUp(api, 'Needle');
    const byName = await api.get<UserPage>(`/api/v1/admin/users?search=${target.username.toUpperCase()}`, admin.token);
    expect(byName.body.data.map((u) => u.id)).toEqual([target.id]);
    expect(byName.body.pagination.total).toBe(1);
    const byEmail = await api.get<UserPage>(`/api/v1/admin/users?search=${encodeURIComponent(target.email)}`, admin.token);
    expect(byEmail.body.data.map((u) => u.id)).toEqual([target.id]);
  });

  it('treats % and _ in the search as literal characters', async () => {
    const res = await api.get<UserPage>('/api/v1/admin/users?search=%25', admin.token);
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([]);
    expect(res.body.pagination.total).toBe(0);
  });

  it('filters by role', async () => {
    const developer = await signUp(api, 'dev');
    await setRole(server, developer.id, 'developer');
    const res = await api.get<UserPage>('/api/v1/admin/users?role=developer&limit=100', admin.token);
    expect(res.status).toBe(200);
    expect(res.body.data.length).toBeGreaterThan(0);
    expect(res.body.data.every((u) => u.role === 'developer')).toBe(true);
    expect(res.body.data.map((u) => u.id)).toContain(developer.id);
    const admins = await api.get<UserPage>('/api/v1/admin/users?role=admin', admin.token);
    expect(admins.body.data.map((u) => u.id)).toContain(admin.id);
    expect(admins.body.data.every((u) => u.role === 'admin')).toBe(true);
  });

  it.each([
    ['page=0', 'page'],
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['page=abc', 'page'],
    ['limit=2.5', 'limit'],
    ['page=-1', 'page'],
    ['role=superuser', 'role'],
  ])('answers 400 for %s', async (query, field) => {
    const res = await api.get(`/api/v1/admin/users?${query}`, admin.token);
    const error = expectEnvelope(res, 400, 'INVALID_REQUEST');
    expect(error.details).toMatchObject({ field });
  });

  it('answers 400, not 500, for a search holding a NUL byte', async () => {
    const res = await api.get(`/api/v1/admin/users?search=${encodeURIComponent('a\u0000b')}`, admin.token);
    expect(expectEnvelope(res, 400, 'INVALID_REQUEST').details).toMatchObject({ field: 'search' });
  });

  it('accepts the maximum limit of 100', async () => {
    const res = await api.get<UserPage>('/api/v1/admin/users?limit=100', admin.token);
    expect(res.status).toBe(200);
    expect(res.body.pagination.limit).toBe(100);
  });

  it('refuses users and developers with 403 and anonymous callers with 401', async () => {
    const user = await signUp(api);
    expectEnvelope(await api.get('/api/v1/admin/users', user.token), 403, 'FORBIDDEN');
    const developer = await signUp(api, 'dev');
    await setRole(server, developer.id, 'developer');
    expectEnvelope(await api.get('/api/v1/admin/users', developer.token), 403, 'FORBIDDEN');
    expectEnvelope(await api.get('/api/v1/admin/users'), 401, 'UNAUTHORIZED');
  });
});

describe('PATCH /api/v1/admin/users/{user_id}', () => {
  it('changes a role, which takes effect on the user’s existing token at once', async () => {
    const user = await signUp(api);
    expectEnvelope(await api.get('/api/v1/admin/users', user.token), 403, 'FORBIDDEN');
    const res = await api.patch(`/api/v1/admin/users/${user.id}`, { role: 'admin' }, admin.token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: user.id, role: 'admin', disabled: false });
    expect((await api.get('/api/v1/admin/users', user.token)).status).toBe(200);
    expect((await api.get('/api/v1/users/profile', user.token)).body.role).toBe('admin');

    await api.patch(`/api/v1/admin/users/${user.id}`, { role: 'developer' }, admin.token);
    expectEnvelope(await api.get('/api/v1/admin/users', user.token), 403, 'FORBIDDEN');
  });

  it('disables a user: their tokens stop working, refresh fails and they cannot sign in', async () => {
    const user = await signUp(api);
    const res = await api.patch(`/api/v1/admin/users/${user.id}`, { disabled: true }, admin.token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: user.id, disabled: true });

    expectEnvelope(await api.get('/api/v1/users/profile', user.token), 401, 'UNAUTHORIZED');
    expectEnvelope(await api.post('/api/v1/auth/refresh', { refresh_token: user.refreshToken }), 401, 'UNAUTHORIZED');
    // The right password learns the account is disabled; a wrong one learns nothing more than usual.
    expectEnvelope(await api.post('/api/v1/auth/token', { username: user.username, password: user.password }), 403, 'FORBIDDEN');
    const wrong = await api.post('/api/v1/auth/token', { username: user.username, password: 'wrong-password-123' });
    const unknown = await api.post('/api/v1/auth/token', { username: `ghost_${user.username}`, password: 'wrong-password-123' });
    expect({ ...expectEnvelope(wrong, 401, 'UNAUTHORIZED'), request_id: '' }).toEqual({
      ...expectEnvelope(unknown, 401, 'UNAUTHORIZED'),
      request_id: '',
    });
  });

  it('shows the disabled flag in the list and lets an admin enable the user again', async () => {
    const user = await signUp(api, 'toggled');
    await api.patch(`/api/v1/admin/users/${user.id}`, { disabled: true }, admin.token);
    const listed = await api.get<UserPage>(`/api/v1/admin/users?search=${user.username}`, admin.token);
    expect(listed.body.data[0]).toMatchObject({ id: user.id, disabled: true });

    const enabled = await api.patch(`/api/v1/admin/users/${user.id}`, { disabled: false }, admin.token);
    expect(enabled.body.disabled).toBe(false);
    const fresh = await signIn(api, user.username, user.password);
    expect((await api.get('/api/v1/users/profile', fresh.token)).status).toBe(200);
    // Sessions ended by the disabling stay ended.
    expectEnvelope(await api.get('/api/v1/users/profile', user.token), 401, 'UNAUTHORIZED');
  });

  it('stops a disabled user’s API keys at once and applies role changes to them at once', async () => {
    const user = await signUp(api, 'keyholder');
    const created = await api.post('/api/v1/api-keys', { name: 'ci' }, user.token);
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    expect((await api.get('/api/v1/users/profile', key)).status).toBe(200);
    expectEnvelope(await api.get('/api/v1/admin/users', key), 403, 'FORBIDDEN');

    await api.patch(`/api/v1/admin/users/${user.id}`, { role: 'admin' }, admin.token);
    expect((await api.get('/api/v1/admin/users', key)).status).toBe(200);
    await api.patch(`/api/v1/admin/users/${user.id}`, { role: 'user' }, admin.token);
    expectEnvelope(await api.get('/api/v1/admin/users', key), 403, 'FORBIDDEN');

    await api.patch(`/api/v1/admin/users/${user.id}`, { disabled: true }, admin.token);
    expectEnvelope(await api.get('/api/v1/users/profile', key), 401, 'UNAUTHORIZED');
  });

  it('answers 404 for a user id that names nothing, whatever its shape', async () => {
    expectEnvelope(await api.patch('/api/v1/admin/users/user_doesnotexist', { role: 'developer' }, admin.token), 404, 'NOT_FOUND');
    expectEnvelope(await api.patch('/api/v1/admin/users/not-a-user-id', { role: 'developer' }, admin.token), 404, 'NOT_FOUND');
  });

  it('refuses an unknown role and unknown fields', async () => {
    const user = await signUp(api);
    expectEnvelope(await api.patch(`/api/v1/admin/users/${user.id}`, { role: 'root' }, admin.token), 400, 'INVALID_REQUEST');
    expectEnvelope(await api.patch(`/api/v1/admin/users/${user.id}`, { password_hash: 'x' }, admin.token), 400, 'INVALID_REQUEST');
  });

  it('does not let an admin demote or disable themselves', async () => {
    const other = await signUpAs(server, api, 'admin');
    expectEnvelope(await api.patch(`/api/v1/admin/users/${other.id}`, { disabled: true }, other.token), 400, 'INVALID_REQUEST');
    expectEnvelope(await api.patch(`/api/v1/admin/users/${other.id}`, { role: 'user' }, other.token), 400, 'INVALID_REQUEST');
    expect((await api.get('/api/v1/admin/users', other.token)).status).toBe(200);
  });

  it('refuses non-admins with 403 and changes nothing', async () => {
    const attacker = await signUp(api);
    const victim = await signUp(api);
    expectEnvelope(await api.patch(`/api/v1/admin/users/${victim.id}`, { disabled: true }, attacker.token), 403, 'FORBIDDEN');
    expectEnvelope(await api.patch(`/api/v1/admin/users/${attacker.id}`, { role: 'admin' }, attacker.token), 403, 'FORBIDDEN');
    const developer = await signUp(api, 'dev');
    await setRole(server, developer.id, 'developer');
    expectEnvelope(await api.patch(`/api/v1/admin/users/${developer.id}`, { role: 'admin' }, developer.token), 403, 'FORBIDDEN');
    expectEnvelope(await api.patch(`/api/v1/admin/users/${victim.id}`, { disabled: true }), 401, 'UNAUTHORIZED');
    expect((await api.get('/api/v1/users/profile', victim.token)).status).toBe(200);
    expect((await api.get('/api/v1/users/profile', attacker.token)).body.role).toBe('user');
  });
});
