import { expect } from 'vitest';
import type { ApiResponse } from './http.js';

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

/**
 * A lighter check of the envelope than `expectEnvelope` (status, the single `error` key, code,
 * a message and a request id), kept as the domain tests of models, providers, applications and
 * files have always asserted it.
 */
export function expectError(res: ApiResponse, status: number, code: string): ErrorEnvelope['error'] {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  const body = res.body as ErrorEnvelope;
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error.code).toBe(code);
  expect(body.error.message).toBeTruthy();
  expect(body.error.request_id).toBeTruthy();
  return body.error;
}

/** No stack frame, file path or internal error name anywhere in a response body. */
export function expectNoStackTrace(body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  expect(text).not.toMatch(/\bat .+:\d+:\d+/);
  expect(text).not.toMatch(/"stack"/);
  expect(text).not.toMatch(/node_modules|\/src\/|file:\/\//);
}

export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
