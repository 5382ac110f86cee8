import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestBuffered, ResponseTooLargeError } from '../../src/inference/transport/buffered.js';

// A plain HTTP server whose answer each test picks by path.
let server: Server;
let pool: Pool;
const closedEarly: string[] = [];
const seen: string[] = [];

const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/chunked': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"parts":["');
    setTimeout(() => res.write('héllo", "'), 5);
    setTimeout(() => res.end('wörld"]}'), 10);
  },
  '/big-ok': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('x'.repeat(5_000));
  },
  '/big-error': (_req, res) => {
    res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '7' });
    res.end('e'.repeat(5_000));
  },
  '/slow-body': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"a":');
  },
};

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.url ?? '');
    req.resume();
    res.on('close', () => {
      if (!res.writableFinished) closedEarly.push(req.url ?? '');
    });
    (routes[req.url ?? ''] ?? ((_q, r) => r.writeHead(404).end()))(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  pool = new Pool(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

afterAll(async () => {
  await pool.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const limits = { maxBodyBytes: 1_000, maxErrorBytes: 100 };
const get = (path: string, signal?: AbortSignal, bodyTimeout?: number) =>
  requestBuffered(pool, { method: 'GET', path, ...(bodyTimeout ? { bodyTimeout } : {}) }, signal, limits);

describe('requestBuffered', () => {
  it('collects a chunked body whole, multi-byte characters included, with status and headers', async () => {
    const res = await get('/chunked');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(JSON.parse(res.body.toString('utf8'))).toEqual({ parts: ['héllo', 'wörld'] });
  });

  it('fails a 2xx body over maxBodyBytes with ResponseTooLargeError, and the pool keeps working', async () => {
    await expect(get('/big-ok')).rejects.toBeInstanceOf(ResponseTooLargeError);
    expect((await get('/chunked')).statusCode).toBe(200);
  });

  it('cuts an error body at maxErrorBytes and still answers with its status and headers', async () => {
    const res = await get('/big-error');
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('7');
    expect(res.body.toString('utf8')).toBe('e'.repeat(100));
    expect((await get('/chunked')).statusCode).toBe(200);
  });

  it('rejects with the signal reason when aborted mid-body, and the server sees the connection close', async () => {
    const controller = new AbortController();
    const pending = get('/slow-body', controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const reason = new Error('client went away');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await expect.poll(() => closedEarly.includes('/slow-body')).toBe(true);
  });

  it('rejects an already aborted signal without sending anything', async () => {
    const before = seen.length;
    const controller = new AbortController();
    controller.abort();
    await expect(get('/chunked', controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen.length).toBe(before);
  });

  it("passes undici's body timeout through as its own error", async () => {
    await expect(get('/slow-body', undefined, 100)).rejects.toMatchObject({ code: 'UND_ERR_BODY_TIMEOUT' });
  });
});
