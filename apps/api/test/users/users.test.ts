import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, expectEnvelope, ISO_UTC, signIn, signUp, startTestServer, type TestServer } from '../kit/index.js';

let server: TestServer;
let api: ReturnType<typeof apiClient>;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
});
afterAll(() => server?.close());

describe('GET /api/v1/users/profile', () => {
  it('answers the caller’s profile with the contract fields only', async () => {
    const user = await signUp(api);
    const res = await api.get('/api/v1/users/profile', user.token);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['avatar', 'created_at', 'email', 'id', 'last_login', 'role', 'username']);
    expect(res.body).toMatchObject({ id: user.id, username: user.username, email: user.email, avatar: null, role: 'user' });
    expect(res.body.created_at).toMatch(ISO_UTC);
    expect(res.body.last_login).toMatch(ISO_UTC);
  });

  it('always answers the caller’s own profile, whatever user id is put in the query', async () => {
    const alice = await signUp(api);
    const bob = await signUp(api);
    const res = await api.get(`/api/v1/users/profile?user_id=${bob.id}&id=${bob.id}`, alice.token);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(alice.id);
    expect(JSON.stringify(res.body)).not.toContain(bob.email);
  });

  it('requires a token', async () => {
    expectEnvelope(await api.get('/api/v1/users/profile'), 401, 'UNAUTHORIZED');
  });
});

describe('PUT /api/v1/users/profile', () => {
  it('updates username, email and avatar and answers the new profile', async () => {
    const user = await signUp(api);
    const username = `renamed_${user.username}`.slice(0, 32);
    const res = await api.put(
      '/api/v1/users/profile',
      { username, email: `New.${user.email}`, avatar: 'https://example.com/avatar.jpg' },
      user.token,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: user.id, username, email: `new.${user.email}`, avatar: 'https://example.com/avatar.jpg' });
    const read = await api.get('/api/v1/users/profile', user.token);
    expect(read.body).toEqual(res.body);
    // The new username signs in.
    await signIn(api, username, user.password);
  });

  it('changes only the caller, never another user', async () => {
    const alice = await signUp(api);
    const bob = await signUp(api);
    const res = await api.put('/api/v1/users/profile', { avatar: 'https://example.com/a.png' }, alice.token);
    expect(res.body.id).toBe(alice.id);
    expect((await api.get('/api/v1/users/profile', bob.token)).body.avatar).toBeNull();
  });

  it('clears the avatar with null and leaves other fields alone when they are omitted', async () => {
    const user = await signUp(api);
    await api.put('/api/v1/users/profile', { avatar: 'https://example.com/a.png' }, user.token);
    const res = await api.put('/api/v1/users/profile', { avatar: null }, user.token);
    expect(res.body).toMatchObject({ avatar: null, username: user.username, email: user.email });
  });

  it('answers the unchanged profile for an empty body', async () => {
    const user = await signUp(api);
    const res = await api.put('/api/v1/users/profile', {}, user.token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: user.id, username: user.username });
  });

  it('refuses another user’s username or email with 409, whatever the case', async () => {
    const alice = await signUp(api);
    const bob = await signUp(api);
    const byName = await api.put('/api/v1/users/profile', { username: bob.username.toUpperCase() }, alice.token);
    expect(expectEnvelope(byName, 409, 'CONFLICT').details).toMatchObject({ field: 'username' });
    const byEmail = await api.put('/api/v1/users/profile', { email: bob.email.toUpperCase() }, alice.token);
    expect(expectEnvelope(byEmail, 409, 'CONFLICT').details).toMatchObject({ field: 'email' });
  });

  it('refuses to let a user change their own role', async () => {
    const user = await signUp(api);
    expectEnvelope(await api.put('/api/v1/users/profile', { role: 'admin' }, user.token), 400, 'INVALID_REQUEST');
    expect((await api.get('/api/v1/users/profile', user.token)).body.role).toBe('user');
  });

  it('refuses a non-http avatar URL and an invalid username with field details', async () => {
    const user = await signUp(api);
    const avatar = await api.put('/api/v1/users/profile', { avatar: 'javascript:alert(1)' }, user.token);
    expect(expectEnvelope(avatar, 400, 'INVALID_REQUEST').details).toMatchObject({ field: 'avatar' });
    const username = await api.put('/api/v1/users/profile', { username: 'has spaces' }, user.token);
    expect(expectEnvelope(username, 400, 'INVALID_REQUEST').details).toMatchObject({ field: 'username' });
  });

  it('answers 400, not 500, for text the database cannot store (a NUL byte)', async () => {
    const user = await signUp(api);
    for (const body of [
      { avatar: 'https://example.com/a\u0000b.png' },
      { username: 'nul\u0000name' },
      { email: 'nul\u0000@example.com' },
    ]) {
      const res = await api.put('/api/v1/users/profile', body, user.token);
      expectEnvelope(res, 400, 'INVALID_REQUEST');
    }
    expect((await api.get('/api/v1/users/profile', user.token)).body.avatar).toBeNull();
  });

  it('requires a token', async () => {
    expectEnvelope(await api.put('/api/v1/users/profile', { avatar: null }), 401, 'UNAUTHORIZED');
  });
});

describe('PUT /api/v1/users/password', () => {
  it('changes the password, keeps the current session and revokes the others', async () => {
    const user = await signUp(api);
    const other = await signIn(api, user.username, user.password);
    const newPassword = 'a-brand-new-password';
    const res = await api.put('/api/v1/users/password', { current_password: user.password, new_password: newPassword }, user.token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ updated: true, revoked_sessions: 1 });

    expect((await api.get('/api/v1/users/profile', user.token)).status).toBe(200);
    expect((await api.post('/api/v1/auth/refresh', { refresh_token: user.refreshToken })).status).toBe(200);
    expectEnvelope(await api.get('/api/v1/users/profile', other.token), 401, 'UNAUTHORIZED');
    expectEnvelope(await api.post('/api/v1/auth/refresh', { refresh_token: other.refreshToken }), 401, 'UNAUTHORIZED');

    expectEnvelope(await api.post('/api/v1/auth/token', { username: user.username, password: user.password }), 401, 'UNAUTHORIZED');
    await signIn(api, user.username, newPassword);
  });

  it('refuses a wrong current password with 400 and changes nothing', async () => {
    const user = await signUp(api);
    const other = await signIn(api, user.username, user.password);
    const res = await api.put(
      '/api/v1/users/password',
      { current_password: 'not-my-password', new_password: 'whatever-new-pass' },
      user.token,
    );
    expect(expectEnvelope(res, 400, 'INVALID_REQUEST').details).toMatchObject({ field: 'current_password' });
    await signIn(api, user.username, user.password);
    expect((await api.get('/api/v1/users/profile', other.token)).status).toBe(200);
  });

  it('refuses a new password shorter than 8 characters', async () => {
    const user = await signUp(api);
    const res = await api.put('/api/v1/users/password', { current_password: user.password, new_password: 'short' }, user.token);
    expect(expectEnvelope(res, 400, 'INVALID_REQUEST').details).toMatchObject({ field: 'new_password' });
  });

  it('requires a token', async () => {
    expectEnvelope(await api.put('/api/v1/users/password', { current_password: 'a', new_password: 'bbbbbbbbbb' }), 401, 'UNAUTHORIZED');
  });
});
