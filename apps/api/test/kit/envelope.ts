import { expect } from 'vitest';
import { type ApiClient, type ApiResponse, setRole, signUp, type TestServer } from './server.js';

export type TestUser = Awaited<ReturnType<typeof signUp>>;

export interface ErrorEnvelope {
  error: { code: string; message: string; details: Record<string, unknown> | null; request_id: string };
}

/** Asserts the contract's error envelope: exact keys, status, code, and the request id echoed in the header. */
export function expectEnvelope(res: ApiResponse, status: number, code: string): ErrorEnvelope['error'] {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = res.body as ErrorEnvelope;
  expect(Object.keys(body)).toEqual(['error']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'details', 'message', 'request_id']);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(body.error.request_id).toBeTruthy();
  expect(res.headers.get('x-request-id')).toBe(body.error.request_id);
  expectNoStackTrace(res.body);
  return body.error;
}

/** No stack frame, file path or internal error name anywhere in a response body. */
export function expectNoStackTrace(body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  expect(text).not.toMatch(/\bat .+:\d+:\d+/);
  expect(text).not.toMatch(/"stack"/);
  expect(text).not.toMatch(/node_modules|\/src\/|file:\/\//);
}

export async function signIn(api: ApiClient, login: string, password: string) {
  const res = await api.post('/api/v1/auth/token', { username: login, password });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { token: res.body.access_token as string, refreshToken: res.body.refresh_token as string };
}

export async function signUpAdmin(server: TestServer, api: ApiClient, prefix = 'admin'): Promise<TestUser> {
  const user = await signUp(api, prefix);
  await setRole(server, user.id, 'admin');
  return user;
}

export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
