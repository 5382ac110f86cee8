import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SseMessage, SseResponse } from '../../src/inference/adapter.js';
import { UpstreamError } from '../../src/inference/errors.js';
import { UndiciTransport } from '../../src/inference/transport/index.js';
import { makeTarget, rejection } from '../upstream/target-fixture.js';

// SSE answers read straight from undici's dispatch callbacks (issue 18 target 4): what the
// transport promises its adapters, against a real HTTP server whose behaviour each test picks by path.

const event = (n: number, padding = '') => `data: {"n":${n}${padding ? `,"pad":"${padding}"` : ''}}\n\n`;
const DONE = 'data: [DONE]\n\n';
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Exchange {
  path: string;
  remotePort: number | undefined;
  /** Resolves when the server's side of the answer closed: true if it was cut before it finished. */
  closed: Promise<boolean>;
}

let server: Server;
let base = '';
const exchanges: Exchange[] = [];
const transport = new UndiciTransport();

function sseHead(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.flushHeaders();
}

/** Writes `write(i)` every `everyMs` until it returns false or the client goes away. */
function every(res: ServerResponse, everyMs: number, write: (i: number) => boolean): void {
  let i = 0;
  const timer = setInterval(() => {
    if (res.destroyed || !write(i++)) clearInterval(timer);
  }, everyMs);
  res.on('close', () => clearInterval(timer));
}

const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  // Three events at once, the end a little later: the client attaches in between.
  '/early': (_req, res) => {
    sseHead(res);
    res.write(event(1) + event(2));
    res.write(event(3));
    setTimeout(() => res.end(DONE), 80);
  },
  // Far more than the queue holds before the socket is paused, all sent before anyone reads.
  '/early-large': (_req, res) => {
    sseHead(res);
    for (let n = 0; n < 300; n++) res.write(event(n, 'x'.repeat(1_000)));
    res.end(DONE);
  },
  '/done': (_req, res) => {
    sseHead(res);
    res.write(event(1));
    setTimeout(() => res.end(event(2) + DONE), 10);
  },
  // A byte-order mark first, and a four-byte character split across two network writes.
  '/split-utf8': (_req, res) => {
    sseHead(res);
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('data: {"text":"é😀"}\n\n' + DONE)]);
    const cut = bytes.indexOf(Buffer.from('😀')) + 2;
    res.write(bytes.subarray(0, cut));
    setTimeout(() => res.end(bytes.subarray(cut)), 20);
  },
  '/endless': (_req, res) => {
    sseHead(res);
    every(res, 10, (i) => res.write(event(i)));
  },
  '/cut': (req, res) => {
    sseHead(res);
    res.write(event(1) + event(2));
    setTimeout(() => req.socket.destroy(), 30);
  },
  '/silent': (_req, res) => {
    sseHead(res);
    res.write(event(1));
  },
  '/slow-headers': (_req, res) => {
    setTimeout(() => {
      if (!res.destroyed) routes['/done']!(_req, res);
    }, 300);
  },
  '/rate-limited': (_req, res) => {
    res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3' });
    res.end(JSON.stringify({ error: { message: 'slow down, please', type: 'rate_limit_error' } }));
  },
  // An error page far longer than its message needs.
  '/huge-error': (_req, res) => {
    res.writeHead(503, { 'content-type': 'text/plain' });
    every(res, 2, (i) => (i < 256 ? res.write('overloaded '.repeat(1_500)) || true : (res.end(), false)));
  },
  // After [DONE], megabytes of comments: not worth draining.
  '/huge-tail': (_req, res) => {
    sseHead(res);
    res.write(event(1) + DONE);
    const comment = `: ${'t'.repeat(16 * 1024)}\n`;
    every(res, 2, (i) => {
      if (i < 256) return res.write(comment) || true;
      res.end();
      return false;
    });
  },
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let closedEarly = (_early: boolean) => {};
    const closed = new Promise<boolean>((resolve) => (closedEarly = resolve));
    exchanges.push({ path: req.url ?? '', remotePort: req.socket.remotePort, closed });
    res.on('close', () => closedEarly(!res.writableFinished));
    req.resume();
    (routes[req.url ?? ''] ?? ((_q, r) => r.writeHead(404).end()))(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await transport.close({ force: true });
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function open(
  path: string,
  signal?: AbortSignal,
  timeouts?: { firstByteMs: number; idleMs: number },
  through = transport,
): Promise<SseResponse> {
  const target = makeTarget({ baseUrl: base, ...(timeouts ? { timeouts: { connectMs: 2_000, ...timeouts } } : {}) });
  return through.openSse(target, { url: `${base}${path}`, method: 'GET', headers: {}, ...(signal ? { signal } : {}) });
}

function lastExchange(path: string): Exchange {
  const found = exchanges.filter((exchange) => exchange.path === path).at(-1);
  if (!found) throw new Error(`the server saw no request to ${path}`);
  return found;
}

/** Pumps until [DONE]: the text read, and whether the end was seen. */
async function pumpAll(sse: SseResponse): Promise<{ text: string; sawEnd: boolean }> {
  let text = '';
  const sawEnd = await sse.pump((piece) => {
    text += piece;
    return !text.includes(DONE);
  });
  return { text, sawEnd };
}

describe('chunks that arrive before the consumer', () => {
  it('are handed to pump() in order once it attaches', async () => {
    const sse = await open('/early');
    await wait(40);
    const { text, sawEnd } = await pumpAll(sse);
    expect(sawEnd).toBe(true);
    expect(text).toBe(event(1) + event(2) + event(3) + DONE);
  });

  it('are iterated as messages once iteration starts', async () => {
    const sse = await open('/early');
    await wait(40);
    const messages: SseMessage[] = [];
    for await (const message of sse) messages.push(message);
    expect(messages.map((message) => message.data)).toEqual(['{"n":1}', '{"n":2}', '{"n":3}', '[DONE]']);
  });

  it('are not lost when there are more than the queue holds (the socket is paused, then resumed)', async () => {
    const sse = await open('/early-large');
    await wait(100);
    const numbers: number[] = [];
    for await (const message of sse) {
      if (message.data === '[DONE]') break;
      numbers.push((JSON.parse(message.data) as { n: number }).n);
    }
    expect(numbers).toEqual(Array.from({ length: 300 }, (_, n) => n));
  });
});

describe('text', () => {
  it('drops a leading byte-order mark and joins a character split across reads, for pump()', async () => {
    const { text, sawEnd } = await pumpAll(await open('/split-utf8'));
    expect(sawEnd).toBe(true);
    expect(text).toBe('data: {"text":"é😀"}\n\n' + DONE);
  });

  it('and for iteration', async () => {
    const messages: SseMessage[] = [];
    for await (const message of await open('/split-utf8')) messages.push(message);
    expect(messages.map((message) => message.data)).toEqual(['{"text":"é😀"}', '[DONE]']);
  });
});

describe('the end of the protocol', () => {
  // A transport of its own (one pool, so one socket) for each: the shared one holds several idle sockets.
  it('resolves pump() with true and keeps the socket for the next request', async () => {
    const own = new UndiciTransport();
    const first = await pumpAll(await open('/done', undefined, undefined, own));
    expect(first).toEqual({ text: event(1) + event(2) + DONE, sawEnd: true });
    expect(await lastExchange('/done').closed).toBe(false);
    const port = lastExchange('/done').remotePort;
    await wait(20);
    expect((await pumpAll(await open('/done', undefined, undefined, own))).sawEnd).toBe(true);
    expect(lastExchange('/done').remotePort).toBe(port);
    await own.close();
  });

  it('breaking out of the iteration at [DONE] also keeps the socket', async () => {
    const own = new UndiciTransport();
    const sse = await open('/done', undefined, undefined, own);
    for await (const message of sse) if (message.data === '[DONE]') break;
    expect(await lastExchange('/done').closed).toBe(false);
    const port = lastExchange('/done').remotePort;
    await wait(20);
    await pumpAll(await open('/done', undefined, undefined, own));
    expect(lastExchange('/done').remotePort).toBe(port);
    await own.close();
  });

  it('a dropped socket is not reused: after a cancel the next request opens a new connection', async () => {
    const own = new UndiciTransport();
    const sse = await open('/done', undefined, undefined, own);
    sse.cancel();
    // (The server only notices a half-closed client when it writes after its end, so ask by the port.)
    const port = lastExchange('/done').remotePort;
    await pumpAll(await open('/done', undefined, undefined, own));
    expect(lastExchange('/done').remotePort).not.toBe(port);
    await own.close();
  });

  it('resolves pump() with false when the body ends before the protocol does', async () => {
    const sse = await open('/early');
    expect(await sse.pump(() => true)).toBe(false);
  });

  it('stops reading a tail over 64 KiB after the end instead of draining it', async () => {
    const { sawEnd } = await pumpAll(await open('/huge-tail'));
    expect(sawEnd).toBe(true);
    // The server had megabytes left to write when the client dropped the connection.
    expect(await lastExchange('/huge-tail').closed).toBe(true);
  });
});

describe('stopping and failing', () => {
  it('cancel() mid-stream rejects the pump as aborted and the server sees the connection close', async () => {
    const sse = await open('/endless');
    let reads = 0;
    const pumped = sse.pump(() => {
      if (++reads === 3) setImmediate(() => sse.cancel());
      return true;
    });
    const err = await rejection(pumped);
    expect(err).toMatchObject({ kind: 'aborted', retryable: false });
    expect(await lastExchange('/endless').closed).toBe(true);
    // Safe again, and after the end.
    sse.cancel();
  });

  it('cancel() while the consumer iterates ends the iteration with an aborted error', async () => {
    const sse = await open('/endless');
    let seen = 0;
    const iterated = (async () => {
      for await (const _message of sse) if (++seen === 2) setImmediate(() => sse.cancel());
    })();
    expect(await rejection(iterated)).toMatchObject({ kind: 'aborted', retryable: false });
    expect(await lastExchange('/endless').closed).toBe(true);
  });

  it('a cut connection mid-body is a transport error, not retryable once text was read', async () => {
    const sse = await open('/cut');
    let text = '';
    const err = await rejection(sse.pump((piece) => ((text += piece), true)));
    expect(text).toBe(event(1) + event(2));
    expect(err).toMatchObject({ kind: 'protocol', retryable: false });
  });

  it('a throw in onText rejects the pump with it and drops the connection', async () => {
    const sse = await open('/endless');
    const err = await rejection(
      sse.pump(() => {
        throw new UpstreamError('bad chunk', { kind: 'protocol', providerId: 'p', retryable: true });
      }),
    );
    expect(err).toMatchObject({ message: 'bad chunk', retryable: false });
    expect(await lastExchange('/endless').closed).toBe(true);
  });

  it('fires the idle timeout of a stream that goes silent', async () => {
    // undici's body timer is coarse (about a second), whatever the idle time asked for.
    const sse = await open('/silent', undefined, { firstByteMs: 1_000, idleMs: 50 });
    expect(await rejection(sse.pump(() => true))).toMatchObject({ kind: 'timeout', retryable: false });
  });
});

describe('the abort signal', () => {
  it('before the headers rejects the open as aborted, and the request is dropped', async () => {
    const controller = new AbortController();
    const opening = open('/slow-headers', controller.signal);
    await wait(30);
    controller.abort();
    expect(await rejection(opening)).toMatchObject({ kind: 'aborted', retryable: false });
    expect(await lastExchange('/slow-headers').closed).toBe(true);
  });

  it('mid-body rejects the pump as aborted and the server sees the connection close', async () => {
    const controller = new AbortController();
    const sse = await open('/endless', controller.signal);
    let reads = 0;
    const err = await rejection(
      sse.pump(() => {
        if (++reads === 2) setImmediate(() => controller.abort(new Error('client went away')));
        return true;
      }),
    );
    expect(err).toMatchObject({ kind: 'aborted', retryable: false });
    expect(await lastExchange('/endless').closed).toBe(true);
  });

  it('already aborted rejects without a request', async () => {
    const before = exchanges.length;
    expect(await rejection(open('/done', AbortSignal.abort()))).toMatchObject({ kind: 'aborted' });
    expect(exchanges.length).toBe(before);
  });
});

describe('answers that are not 2xx', () => {
  it('throw a status error carrying the body’s message and retry-after', async () => {
    const err = await rejection(open('/rate-limited'));
    expect(err).toMatchObject({ kind: 'rate_limited', status: 429, retryable: true, message: 'slow down, please' });
    expect(err.code).toBe('rate_limit_error');
    expect(err.retryAfterMs).toBe(3_000);
  });

  it('read a long error body only as far as its message needs, then drop the connection', async () => {
    const err = await rejection(open('/huge-error'));
    expect(err).toMatchObject({ kind: 'server', status: 503, retryable: true });
    expect(err.message).toMatch(/^(overloaded )+/);
    expect(await lastExchange('/huge-error').closed).toBe(true);
  });

  it('throw a client error for a 404 with the plain-text fallback', async () => {
    expect(await rejection(open('/nowhere'))).toMatchObject({ kind: 'client', status: 404, message: 'upstream answered HTTP 404' });
  });
});
