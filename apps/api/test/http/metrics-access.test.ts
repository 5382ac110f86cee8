import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../kit/index.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ MAAS_METRICS_TOKEN: 'scrape-token-0123456789' });
});
afterAll(() => server?.close());

describe('GET /metrics with MAAS_METRICS_TOKEN', () => {
  it('answers the 401 envelope without the token or with a wrong one', async () => {
    for (const authorization of [undefined, 'Bearer wrong', 'Bearer scrape-token-012345678', 'scrape-token-0123456789']) {
      const res = await fetch(`${server.url}/metrics`, { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      const body = (await res.json()) as { error: { code: string; request_id: string } };
      expect(body.error.code).toBe('UNAUTHORIZED');
      expect(body.error.request_id).toBe(res.headers.get('x-request-id'));
    }
  });

  it('serves Prometheus text to the scraper holding the token', async () => {
    await fetch(`${server.url}/healthz`);
    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer scrape-token-0123456789' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(await res.text()).toContain('maas_http_requests_total');
  });
});
