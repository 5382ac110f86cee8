// Helmet's headers come from one hook with the set read once from @fastify/helmet itself
// (plugins/static-helmet.ts): every answer must carry exactly what the plugin would have set, in
// its order, and the routes that opt out (`helmet: false`) none of it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helmetHeadersOf } from '../../src/plugins/static-helmet.js';
import { apiClient, signUp, startTestServer, type TestServer } from '../kit/index.js';

let server: TestServer;
let expected: [string, string][];
let names: Set<string>;

beforeAll(async () => {
  server = await startTestServer({ MAAS_SEED_DEMO: '1' });
  // The options the server registers (not production: no HSTS).
  expected = (await helmetHeadersOf({ contentSecurityPolicy: false, hsts: false })).map(([name, value]) => [name.toLowerCase(), value]);
  names = new Set(expected.map(([name]) => name));
});
afterAll(async () => {
  await server?.close();
});

/** The raw header lines of an answer, in the order they were sent, helmet's only. */
async function helmetLines(path: string, init: RequestInit = {}): Promise<[string, string][]> {
  const { request } = await import('node:http');
  const url = new URL(path, server.url);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers as Record<string, string> }, (res) => {
      res.resume();
      const lines: [string, string][] = [];
      for (let i = 0; i < res.rawHeaders.length; i += 2) lines.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
      resolve(lines.filter(([name]) => names.has(name)));
    });
    req.on('error', reject);
    req.end(init.body as string | undefined);
  });
}

describe('security headers', () => {
  it('reads a full set from the plugin', () => {
    expect(expected.length).toBeGreaterThanOrEqual(8);
    expect(expected).toContainEqual(['x-content-type-options', 'nosniff']);
    expect(expected).toContainEqual(['x-frame-options', 'SAMEORIGIN']);
    expect(expected.some(([name]) => name === 'content-type' || name === 'content-length')).toBe(false);
  });

  it("sends helmet's headers, in its order, on REST answers, errors, 404s and the docs", async () => {
    const api = apiClient(server.url);
    const user = await signUp(api);
    const auth = { authorization: `Bearer ${user.token}` };
    const json = { 'content-type': 'application/json' };
    const paths: [string, RequestInit?][] = [
      ['/api/v1/models?limit=2'],
      ['/api/v1/conversations', { headers: auth }],
      ['/api/v1/conversations'],
      ['/api/v1/users/profile', { headers: auth }],
      ['/api/v1/no-such-route'],
      ['/api/v1/auth/token', { method: 'POST', headers: json, body: '{"username":' }],
      ['/api/v1/openapi.json'],
      ['/docs'],
      ['/healthz'],
    ];
    for (const [path, init] of paths) expect(await helmetLines(path, init), path).toEqual(expected);
  });

  it('sends none of them on the OpenAI-compatible routes but nosniff', async () => {
    const api = apiClient(server.url);
    const user = await signUp(api);
    const body = JSON.stringify({ model: 'demo-chat', messages: [{ role: 'user', content: 'hi' }] });
    const lines = await helmetLines('/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
      body,
    });
    expect(lines).toEqual([['x-content-type-options', 'nosniff']]);
  });
});
