import { connect, type Socket } from 'node:net';
import { loadConfig } from '@maas/api';
import {
  apiClient,
  type ChatWorld,
  createApp,
  createMockProvider,
  createRoutedModel,
  mockReply,
  type MockUpstream,
  readEvents,
  setRole,
  signUp,
  startMockUpstream,
  startPeerServer,
  startTestServer,
  type TestServer,
} from '../kit/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * Request timeouts (issue #5): a client that is slow to *send* its request is cut off, while a
 * response that takes long (an SSE stream, a slow model) is not.
 */

const REQUEST_TIMEOUT_MS = 1_000;
const HEADERS_TIMEOUT_MS = 400;
/** Node sweeps for late requests a few times per timeout (server.ts); this covers that and a busy CI. */
const SLACK_MS = 1_000;

let world: ChatWorld;
let upstream: MockUpstream;
const peers: TestServer[] = [];

beforeAll(async () => {
  // Every streamed piece comes 150 ms after the last: a reply takes about 2 s, twice the request timeout.
  upstream = await startMockUpstream({ chunkDelayMs: 150, firstByteDelayMs: 1_500 });
  const server = await startTestServer({
    MAAS_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    MAAS_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
  });
  const api = apiClient(server.url);
  const admin = await signUp(api, 'admin');
  await setRole(server, admin.id, 'admin');
  world = { upstream, server, api, admin };
});
afterAll(async () => {
  for (const peer of peers) await peer.close();
  await world?.server.close();
  await upstream?.close();
});

interface RawExchange {
  /** Everything the server wrote before closing. */
  received: string;
  /** From the first byte sent (or the connection, when nothing is sent) to the server's close. */
  closedAfterMs: number;
}

/**
 * Opens a bare TCP connection, lets `drive` write to it, and waits for the server to close it.
 * `drive` may return a cleanup (stop a trickle); the test gives up after 10 s.
 */
function rawExchange(url: string, drive: (socket: Socket) => (() => void) | void): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    let started = 0;
    let stop: (() => void) | void;
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`server kept the connection open; received ${JSON.stringify(received)}`));
    }, 10_000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    socket.on('error', () => {});
    socket.on('connect', () => {
      started = performance.now();
      stop = drive(socket);
    });
    socket.on('close', () => {
      clearTimeout(giveUp);
      stop?.();
      resolve({ received, closedAfterMs: performance.now() - started });
    });
  });
}

/** Writes `piece` every `everyMs` until stopped. */
function trickle(socket: Socket, piece: string, everyMs: number): () => void {
  const timer = setInterval(() => {
    if (!socket.destroyed) socket.write(piece);
  }, everyMs);
  return () => clearInterval(timer);
}

const LOGIN_HEADERS =
  'POST /api/v1/auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n';

/** The raw answer carries the contract's envelope, with the request id also in its header. */
function expectEnvelope(received: string, code: string, message: string): void {
  const [head = '', body = ''] = received.split('\r\n\r\n');
  expect(head).toMatch(/\r\ncontent-type: application\/json; charset=utf-8\r\n/i);
  const parsed = JSON.parse(body) as { error: { code: string; message: string; details: unknown; request_id: string } };
  expect(Object.keys(parsed.error)).toEqual(['code', 'message', 'details', 'request_id']);
  expect(parsed.error).toMatchObject({ code, message, details: null });
  expect(head).toContain(`\r\nX-Request-Id: ${parsed.error.request_id}`);
}

describe('a request node cannot parse', () => {
  it('gets a 431 envelope for headers over the size limit, and the connection is closed', async () => {
    const exchange = await rawExchange(world.server.url, (socket) => {
      socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    });
    expect(exchange.received).toMatch(/^HTTP\/1\.1 431 /);
    expectEnvelope(exchange.received, 'INVALID_REQUEST', '请求头过大');
  });

  it('gets a 400 envelope for bytes that are not HTTP', async () => {
    const exchange = await rawExchange(world.server.url, (socket) => {
      socket.write('HELLO THERE\r\n\r\n');
    });
    expect(exchange.received).toMatch(/^HTTP\/1\.1 400 /);
    expectEnvelope(exchange.received, 'INVALID_REQUEST', '无法解析的 HTTP 请求');
  });
});

describe('a client slow to send its request', () => {
  it('is answered 408 and closed when it trickles its body past MAAS_REQUEST_TIMEOUT_MS', async () => {
    const exchange = await rawExchange(world.server.url, (socket) => {
      socket.write(`${LOGIN_HEADERS}{"username":"`);
      return trickle(socket, 'a', 100);
    });
    expect(exchange.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(exchange.closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS * 0.9);
    expect(exchange.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
  });

  it('is answered 408 and closed when its body never finishes', async () => {
    const exchange = await rawExchange(world.server.url, (socket) => {
      socket.write(`${LOGIN_HEADERS}{"username":"someone"`);
    });
    expect(exchange.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(exchange.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + SLACK_MS);
    expectEnvelope(exchange.received, 'INVALID_REQUEST', '请求未在规定时间内发送完毕');
  });

  it('is closed after MAAS_HEADERS_TIMEOUT_MS when it trickles header lines (slowloris)', async () => {
    const exchange = await rawExchange(world.server.url, (socket) => {
      socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      return trickle(socket, 'X-Slow: 1\r\n', 50);
    });
    expect(exchange.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(exchange.closedAfterMs).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS * 0.9);
    expect(exchange.closedAfterMs).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
  });

  it('is closed after MAAS_HEADERS_TIMEOUT_MS when it connects and sends nothing', async () => {
    const exchange = await rawExchange(world.server.url, () => {});
    expect(exchange.closedAfterMs).toBeLessThan(HEADERS_TIMEOUT_MS + SLACK_MS);
  });

  it('is served normally when it sends its request in time', async () => {
    const exchange = await rawExchange(world.server.url, (socket) => {
      socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    });
    expect(exchange.received).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('closes an idle keep-alive connection after MAAS_KEEP_ALIVE_TIMEOUT_MS', async () => {
    const peer = await startPeerServer(world.server, { MAAS_KEEP_ALIVE_TIMEOUT_MS: '500' });
    peers.push(peer);
    const exchange = await rawExchange(peer.url, (socket) => {
      socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    });
    expect(exchange.received).toMatch(/^HTTP\/1\.1 200 /);
    // Node waits one second beyond the timeout it advertises in Keep-Alive, so a client reusing
    // the connection right at the advertised limit does not race the close.
    expect(exchange.closedAfterMs).toBeGreaterThanOrEqual(450);
    expect(exchange.closedAfterMs).toBeLessThan(500 + 1_000 + SLACK_MS);
  });
});

describe('a response that takes longer than the request timeout', () => {
  let modelName: string;
  let slowModelId: string;
  let streamModelId: string;

  beforeAll(async () => {
    const provider = await createMockProvider(world);
    const streaming = await createRoutedModel(world, [{ provider_id: provider.id, upstream_model: 'mock-slow-stream' }]);
    streamModelId = streaming.id;
    modelName = streaming.name;
    slowModelId = (await createRoutedModel(world, [{ provider_id: provider.id, upstream_model: 'mock-slow-first-byte' }])).id;
  });

  it('streams an application chat over SSE to the end', async () => {
    const user = await signUp(world.api);
    const app = await createApp(world.api, user.token, streamModelId);
    const started = performance.now();
    const response = await fetch(`${world.server.url}/api/v1/applications/${app.id}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
      body: JSON.stringify({ message: 'tell me a long story', stream: true }),
    });
    expect(response.status).toBe(200);
    const events = (await readEvents(response)) as { type: string; content?: string }[];
    expect(performance.now() - started).toBeGreaterThan(REQUEST_TIMEOUT_MS * 1.5);
    const sent = upstream.requests.at(-1)!.body!.messages as { role: string; content: string }[];
    expect(
      events
        .filter((e) => e.type === 'delta')
        .map((e) => e.content)
        .join(''),
    ).toBe(mockReply(sent as never));
    expect(events.at(-1)).toMatchObject({ type: 'done' });
  });

  it('streams /v1/chat/completions to the end', async () => {
    const user = await signUp(world.api);
    const key = await world.api.post('/api/v1/api-keys', { name: 'timeouts' }, user.token);
    expect(key.status).toBe(201);
    const messages = [{ role: 'user', content: 'a long streamed answer please' }];
    const started = performance.now();
    const response = await fetch(`${world.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key.body.key}` },
      body: JSON.stringify({ model: modelName, messages, stream: true }),
    });
    expect(response.status).toBe(200);
    const events = await readEvents(response);
    expect(performance.now() - started).toBeGreaterThan(REQUEST_TIMEOUT_MS * 1.5);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1) as { choices: { delta: { content?: string } }[] }[];
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(mockReply(messages as never));
  });

  it('answers a model call whose first byte comes after the request timeout', async () => {
    const user = await signUp(world.api);
    const app = await createApp(world.api, user.token, slowModelId);
    const started = performance.now();
    const res = await world.api.post(`/api/v1/applications/${app.id}/chat`, { message: 'take your time', stream: false }, user.token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(performance.now() - started).toBeGreaterThan(REQUEST_TIMEOUT_MS * 1.4);
  });

  it('keeps a stream alive under MAAS_CONNECTION_TIMEOUT_MS as long as it keeps sending', async () => {
    const peer = await startPeerServer(world.server, { MAAS_CONNECTION_TIMEOUT_MS: '800' });
    peers.push(peer);
    const user = await signUp(world.api);
    const app = await createApp(world.api, user.token, streamModelId);
    const response = await fetch(`${peer.url}/api/v1/applications/${app.id}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
      body: JSON.stringify({ message: 'keep talking', stream: true }),
    });
    const events = (await readEvents(response)) as { type: string }[];
    expect(events.at(-1)).toMatchObject({ type: 'done' });
  });
});

describe('timeout configuration', () => {
  it('defaults to node’s request timeout, a 30 s headers timeout and no socket idle timeout', () => {
    expect(loadConfig({}).httpTimeouts).toEqual({ requestMs: 300_000, headersMs: 30_000, keepAliveMs: 72_000, connectionMs: 0 });
    expect(loadConfig({ MAAS_REQUEST_TIMEOUT_MS: '10000' }).httpTimeouts.headersMs).toBe(10_000);
    expect(loadConfig({ MAAS_REQUEST_TIMEOUT_MS: '0' }).httpTimeouts).toMatchObject({ requestMs: 0, headersMs: 30_000 });
  });

  it('refuses at start a headers timeout longer than the request timeout', () => {
    expect(() => loadConfig({ MAAS_REQUEST_TIMEOUT_MS: '1000', MAAS_HEADERS_TIMEOUT_MS: '2000' })).toThrow(/MAAS_HEADERS_TIMEOUT_MS/);
    expect(() => loadConfig({ MAAS_KEEP_ALIVE_TIMEOUT_MS: '0' })).toThrow(/MAAS_KEEP_ALIVE_TIMEOUT_MS/);
  });
});
