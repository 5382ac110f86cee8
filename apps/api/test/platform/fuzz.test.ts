import { buildOpenApiDocument, ERROR_STATUS } from '@maas/api';
import {
  apiClient,
  type ApiClient,
  type MockUpstream,
  setRole,
  signUp,
  startMockUpstream,
  startTestServer,
  type TestServer,
} from '../kit/index.js';
import fc from 'fast-check';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acceptLanguage,
  body,
  type Caller,
  caller,
  conforming,
  type DeriveContext,
  describable,
  encodeLoose,
  type FuzzBody,
  garbageAuthorization,
  headerSafe,
  headerValue,
  hostileString,
  hostileValue,
  type JsonSchema,
  listOperations,
  mutated,
  openApiDocument,
  type Operation,
  pathSegment,
  percentJunk,
  queryString,
  schemaErrors,
  serializeJson,
} from './fuzz-arbitraries.js';

/**
 * Fuzzes every operation of the OpenAPI document (issue #5) plus the routes outside it (the SSE
 * chat, multipart upload, the OpenAI-compatible /v1). Every answer must be below 500; a 4xx must be
 * the contract's envelope (OpenAI's error shape on /v1); a 2xx must match the operation's output
 * schema. Replay a failure with the printed seed: FUZZ_SEED=<seed> (FUZZ_RUNS scales the runs).
 */
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
const RUNS = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : 40;
const REQUEST_TIMEOUT_MS = 10_000;

// The document the server serves is generated from the router; the first test checks they agree.
const document = openApiDocument(buildOpenApiDocument());
const operations = orderForFuzzing(listOperations(document));

/** Reads first, deletes last, so the resources the other operations reach survive longer. */
function orderForFuzzing(list: Operation[]): Operation[] {
  const rank = (operation: Operation) => (operation.method === 'GET' ? 0 : operation.method === 'DELETE' ? 2 : 1);
  return [...list].sort((a, b) => rank(a) - rank(b));
}

function seedFor(label: string): number {
  let hash = SEED;
  for (const char of label) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) | 0;
  return hash;
}

const fuzzOptions = (label: string, numRuns = RUNS): fc.Parameters<unknown> => ({
  seed: seedFor(label),
  numRuns,
  // A failure shrinks over live HTTP; a bounded shrink keeps a red run from taking minutes.
  interruptAfterTimeLimit: 60_000,
  markInterruptAsFailure: false,
});

// ---------------------------------------------------------------------------------------------
// The world: three callers, resources they own, and a model that answers through a real upstream.

interface Actor {
  role: 'user' | 'developer' | 'admin';
  id: string;
  username: string;
  password: string;
  token: string;
  apiKey: string;
}

let upstream: MockUpstream;
let server: TestServer;
let api: ApiClient;
const actors = {} as Record<Actor['role'], Actor>;
let chatModelName = '';
/** Ids the fuzz may change or delete: victims, spare resources, anything the fuzz itself created. */
const mutableIds = new Map<string, Set<string>>();
/**
 * Ids of the chat path (provider → model → apps → conversations, the callers' own keys): offered
 * to reads and to chat only. Were the fuzz to edit them, a chat could legitimately end in 502/503
 * (a model left without a route), which would hide the 5xx this suite looks for.
 */
const protectedIds = new Map<string, Set<string>>();
const stats = { requests: 0, byStatus: new Map<number, number>() };
const coveredOperations = new Set<string>();

function remember(pool: Map<string, Set<string>>, id: unknown) {
  if (typeof id !== 'string') return;
  const prefix = id.match(/^([a-z]+)_[a-z0-9]+$/)?.[1];
  if (!prefix) return;
  if (!pool.has(prefix)) pool.set(prefix, new Set());
  pool.get(prefix)?.add(id);
}

function poolFor(operation: Operation): (prefix: string) => readonly string[] {
  const isChat = operation.path.endsWith('/chat');
  const isRead = operation.method === 'GET';
  return (prefix) => {
    const protectedList = [...(protectedIds.get(prefix) ?? [])];
    if (isChat) return protectedList;
    const mutableList = [...(mutableIds.get(prefix) ?? [])];
    return isRead ? [...protectedList, ...mutableList] : mutableList;
  };
}

async function ok<T = any>(label: string, response: Promise<{ status: number; body: T }>): Promise<T> {
  const res = await response;
  if (res.status >= 300) throw new Error(`${label}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function makeActor(role: Actor['role']): Promise<Actor> {
  const user = await signUp(api, `fz${role.slice(0, 3)}`);
  if (role !== 'user') await setRole(server, user.id, role);
  const key = await ok<{ key: string; id: string }>('api key', api.post('/api/v1/api-keys', { name: 'fuzz' }, user.token));
  remember(protectedIds, key.id);
  return { role, id: user.id, username: user.username, password: user.password, token: user.token, apiKey: key.key };
}

/**
 * After an operation's runs, callers the fuzz logged out (logout, refresh-token reuse) sign in
 * again, and revoked API keys are replaced, so the next operation is not fuzzed anonymously.
 */
async function healActors() {
  for (const actor of Object.values(actors)) {
    const profile = await api.get('/api/v1/users/profile', actor.token);
    if (profile.status !== 200 || profile.body.role !== actor.role) {
      const tokens = await api.post('/api/v1/auth/token', { username: actor.username, password: actor.password });
      if (tokens.status === 200) actor.token = tokens.body.access_token;
      else Object.assign(actor, await makeActor(actor.role));
    }
    const models = await fetch(`${server.url}/v1/models`, { headers: { authorization: `Bearer ${actor.apiKey}` } });
    await models.text();
    if (models.status !== 200) {
      const key = await ok<{ key: string; id: string }>('api key', api.post('/api/v1/api-keys', { name: 'fuzz' }, actor.token));
      actor.apiKey = key.key;
      remember(protectedIds, key.id);
    }
  }
}

async function buildWorld() {
  upstream = await startMockUpstream({ chunkDelayMs: 0, firstByteDelayMs: 0 });
  // Fuzzed sign-ins fail by the hundred from one address; the per-network login limit would then
  // refuse the sign-ins that replace actors the fuzz logged out. It has its own tests.
  server = await startTestServer({ MAAS_LOGIN_MAX_FAILURES_PER_IP: '0' });
  api = apiClient(server.url);
  for (const role of ['user', 'developer', 'admin'] as const) actors[role] = await makeActor(role);
  const { user, developer, admin } = actors;
  for (const actor of [user, developer, admin]) {
    await ok('credit', api.post(`/api/v1/admin/users/${actor.id}/wallet/credit`, { amount: 1_000, reason: 'fuzz' }, admin.token));
  }

  const provider = (kind: string) => ({
    name: `fuzz-${kind}-${Math.random().toString(36).slice(2, 8)}`,
    kind: 'openai-compatible',
    base_url: upstream.url,
    api_key: 'sk-upstream',
    timeout_ms: 5_000,
  });
  const model = (name: string, providerId: string) => ({
    name,
    description: 'fuzz model',
    category: 'text',
    visibility: 'public',
    pricing: { input_tokens: 0.000001, output_tokens: 0.000001 },
    context_window: 8_192,
    routes: [{ provider_id: providerId, upstream_model: 'gpt-fuzz' }],
  });

  // The chat path, protected from edits.
  const chatProvider = await ok('provider', api.post('/api/v1/providers', provider('chat'), admin.token));
  remember(protectedIds, chatProvider.id);
  chatModelName = `fuzz-chat-${Math.random().toString(36).slice(2, 8)}`;
  const chatModel = await ok('model', api.post('/api/v1/models', model(chatModelName, chatProvider.id), admin.token));
  remember(protectedIds, chatModel.id);
  for (const actor of [user, developer, admin]) {
    const app = await ok(
      'app',
      api.post('/api/v1/applications', { name: 'fuzz app', model_id: chatModel.id, config: { max_tokens: 32 } }, actor.token),
    );
    remember(protectedIds, app.id);
    const reply = await ok('chat', api.post(`/api/v1/applications/${app.id}/chat`, { message: 'hello' }, actor.token));
    remember(protectedIds, reply.conversation_id);
  }

  // Spare resources the fuzz may edit and delete.
  const spareProvider = await ok('provider', api.post('/api/v1/providers', provider('spare'), admin.token));
  remember(mutableIds, spareProvider.id);
  for (const owner of [developer, admin]) {
    const spare = await ok(
      'model',
      api.post(
        '/api/v1/models',
        model(`fuzz-spare-${owner.role}-${Math.random().toString(36).slice(2, 8)}`, spareProvider.id),
        owner.token,
      ),
    );
    remember(mutableIds, spare.id);
  }
  for (const actor of [user, developer, admin]) {
    const [spareModel] = [...(mutableIds.get('model') ?? [])];
    const app = await ok('app', api.post('/api/v1/applications', { name: 'spare app', model_id: spareModel }, actor.token));
    remember(mutableIds, app.id);
    const reply = await ok('chat', api.post(`/api/v1/applications/${app.id}/chat`, { message: 'hi' }, actor.token));
    remember(mutableIds, reply.conversation_id);
    const key = await ok('key', api.post('/api/v1/api-keys', { name: 'spare' }, actor.token));
    remember(mutableIds, key.id);
    const form = new FormData();
    form.append('file', new Blob(['weights'], { type: 'application/octet-stream' }), 'weights.bin');
    const uploaded = await fetch(`${server.url}/api/v1/files`, {
      method: 'POST',
      body: form,
      headers: { authorization: `Bearer ${actor.token}` },
    });
    remember(mutableIds, ((await uploaded.json()) as { id: string }).id);
    const post = await ok(
      'post',
      api.post(
        '/api/v1/community/posts',
        { title: `fuzz ${actor.role}`, content: 'text', category: 'discussion', tags: ['fuzz'] },
        actor.token,
      ),
    );
    remember(mutableIds, post.id);
    const comment = await ok('comment', api.post(`/api/v1/community/posts/${post.id}/comments`, { content: 'a comment' }, actor.token));
    remember(mutableIds, comment.id);
  }
  for (const [owner, price] of [
    [developer, 0],
    [developer, 1],
    [admin, 2],
  ] as const) {
    const tool = await ok(
      'tool',
      api.post('/api/v1/tools', { name: `fuzz tool ${price}`, description: 'fuzz', category: 'development', price }, owner.token),
    );
    remember(mutableIds, tool.id);
  }
  const [freeTool] = [...(mutableIds.get('tool') ?? [])];
  await ok('purchase', api.post(`/api/v1/tools/${freeTool}/purchase`, { payment_method: 'balance' }, user.token));
  await ok('review', api.post(`/api/v1/tools/${freeTool}/reviews`, { rating: 5, text: 'fine' }, user.token));
  for (let i = 0; i < 2; i++) remember(mutableIds, (await signUp(api, 'fzvictim')).id);
}

beforeAll(async () => {
  console.log(`fuzz: seed ${SEED}, ${RUNS} runs per operation (replay with FUZZ_SEED=${SEED})`);
  await buildWorld();
}, 120_000);

afterAll(async () => {
  const statuses = [...stats.byStatus.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `${status}×${count}`)
    .join(' ');
  console.log(`fuzz: seed ${SEED}, ${coveredOperations.size} operations, ${stats.requests} requests (${statuses})`);
  await server?.close();
  await upstream?.close();
});

// ---------------------------------------------------------------------------------------------
// Sending and judging

interface FuzzRequest {
  method: string;
  /** Path and query after the host, already encoded. */
  url: string;
  caller: Caller;
  garbageAuthorization: string;
  useApiKey: boolean;
  headers: Record<string, string>;
  body: FuzzBody;
  /** Send the body in two writes, `delayMs` apart: parsers then see the body arrive in pieces. */
  split?: { at: number; delayMs: number } | null;
}

interface FuzzResponse {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

function authorizationFor(request: Pick<FuzzRequest, 'caller' | 'garbageAuthorization' | 'useApiKey'>): string | undefined {
  if (request.caller === 'anonymous') return undefined;
  if (request.caller === 'garbage') return request.garbageAuthorization || 'Bearer x';
  const actor = actors[request.caller];
  return `Bearer ${request.useApiKey ? actor.apiKey : actor.token}`;
}

async function send(request: FuzzRequest): Promise<FuzzResponse> {
  const headers: Record<string, string> = { ...request.headers };
  const authorization = authorizationFor(request);
  if (authorization) headers.authorization = authorization;
  let payload: Uint8Array | undefined;
  if (request.body.kind !== 'none' && request.method !== 'GET' && request.body.payload !== null) {
    // A Uint8Array gets no default content type from fetch, so "none" really is none.
    payload = typeof request.body.payload === 'string' ? new TextEncoder().encode(request.body.payload) : request.body.payload;
    if (request.body.contentType !== null) headers['content-type'] = request.body.contentType;
  } else if (request.body.kind === 'none' && request.body.contentType !== null && request.method !== 'GET') {
    headers['content-type'] = request.body.contentType;
  }
  stats.requests += 1;
  const response =
    // Only bodies under the limit: the server answers 413 and closes mid-body, and node's client
    // then fails the write (EPIPE) where fetch reads the answer.
    request.split && payload && payload.length <= 65_536
      ? await sendInTwoWrites(request, headers, payload, request.split)
      : await fetch(`${server.url}${request.url}`, {
          method: request.method,
          headers,
          body: payload,
          redirect: 'manual',
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
  const text = await response.text();
  stats.byStatus.set(response.status, (stats.byStatus.get(response.status) ?? 0) + 1);
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** fetch() sends a small body in one write; this sends it in two, as a slow client would. */
function sendInTwoWrites(
  request: FuzzRequest,
  headers: Record<string, string>,
  payload: Uint8Array,
  split: { at: number; delayMs: number },
): Promise<Response> {
  const url = new URL(`${server.url}${request.url}`);
  const at = payload.length === 0 ? 0 : split.at % payload.length;
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: request.method,
        headers: { ...headers, 'content-length': String(payload.length) },
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(incoming.headers)) if (typeof value === 'string') responseHeaders.set(name, value);
          resolve(new Response(Buffer.concat(chunks), { status: incoming.statusCode ?? 0, headers: responseHeaders }));
        });
        incoming.on('error', reject);
      },
    );
    outgoing.setTimeout(REQUEST_TIMEOUT_MS, () => outgoing.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    outgoing.on('error', reject);
    outgoing.write(payload.subarray(0, at));
    setTimeout(() => outgoing.end(payload.subarray(at)), split.delayMs);
  });
}

/** What a failure prints: enough to replay the request by hand. */
function describeExchange(request: FuzzRequest, response: FuzzResponse): string {
  const payload = request.body.payload;
  const shown =
    payload === null
      ? '(none)'
      : typeof payload === 'string'
        ? payload.slice(0, 400)
        : `bytes ${Buffer.from(payload).toString('hex').slice(0, 80)}`;
  return `${request.method} ${request.url.slice(0, 400)} as ${request.caller} [${request.body.kind}, ${request.body.contentType}] body ${JSON.stringify(shown)}\n→ ${response.status} ${response.text.slice(0, 600)}`;
}

const ERROR_CODES = new Set(Object.keys(ERROR_STATUS));

function expectEnvelope(request: FuzzRequest, response: FuzzResponse) {
  const context = describeExchange(request, response);
  expect(response.headers.get('content-type'), context).toMatch(/^application\/json/);
  const envelope = response.json as { error?: Record<string, unknown> };
  expect(envelope && typeof envelope === 'object' ? Object.keys(envelope) : envelope, context).toEqual(['error']);
  const error = envelope.error ?? {};
  expect(Object.keys(error).sort(), context).toEqual(['code', 'details', 'message', 'request_id']);
  expect(ERROR_CODES.has(String(error.code)), context).toBe(true);
  expect(ERROR_STATUS[error.code as keyof typeof ERROR_STATUS], context).toBe(response.status);
  expect(typeof error.message === 'string' && error.message.length > 0, context).toBe(true);
  expect(error.details === null || (typeof error.details === 'object' && !Array.isArray(error.details)), context).toBe(true);
  expect(typeof error.request_id === 'string' && error.request_id.length > 0, context).toBe(true);
  expect(response.headers.get('x-request-id'), context).toBe(error.request_id);
  expect(response.text, context).not.toMatch(/\bat .+:\d+:\d+|node_modules|"stack"/);
}

/** `data:` payloads of a text/event-stream body. */
function eventsOf(text: string): string[] {
  return text
    .split('\n\n')
    .map((block) =>
      block
        .split('\n')
        .find((line) => line.startsWith('data: '))
        ?.slice(6),
    )
    .filter((data): data is string => data !== undefined);
}

function judgeApi(operation: Operation, request: FuzzRequest, response: FuzzResponse) {
  const context = describeExchange(request, response);
  expect(response.status, context).toBeLessThan(500);
  if (response.status >= 400) {
    expect(operation.spec.responses[String(response.status)], `${context}\nstatus ${response.status} is not in the document`).toBeDefined();
    return expectEnvelope(request, response);
  }
  expect(response.status, context).toBeGreaterThanOrEqual(200);
  const contentType = response.headers.get('content-type') ?? '';
  if (contentType.startsWith('text/event-stream')) {
    // The streaming face of the chat: JSON events, the last one `done` or `error`.
    expect(operation.path.endsWith('/chat'), context).toBe(true);
    const events = eventsOf(response.text).map((data) => JSON.parse(data) as { type: string });
    expect(events.length, context).toBeGreaterThan(0);
    expect(['done', 'error'], context).toContain(events.at(-1)?.type);
    return;
  }
  const declared = operation.spec.responses[String(response.status)];
  expect(declared, `${context}\nstatus ${response.status} is not declared`).toBeDefined();
  const schema = declared?.content?.['application/json']?.schema;
  if (schema) expect(schemaErrors(document, schema, response.json), context).toEqual([]);
}

// ---------------------------------------------------------------------------------------------
// Requests for one operation of the document

function jsonBodySchema(operation: Operation): JsonSchema | undefined {
  return operation.spec.requestBody?.content['application/json']?.schema;
}

function requestArbitrary(operation: Operation): fc.Arbitrary<FuzzRequest> {
  const context: DeriveContext = { document, ids: poolFor(operation) };
  const parameters = operation.spec.parameters ?? [];
  const pathParameters = parameters.filter((parameter) => parameter.in === 'path');
  const headerParameters = parameters.filter((parameter) => parameter.in === 'header');
  const segments = fc.tuple(...pathParameters.map((parameter) => pathSegment(parameter.schema ?? { type: 'string' }, context)));
  const headerParameterValues = fc.tuple(
    ...headerParameters.map((parameter) =>
      fc.option(
        fc.oneof(
          conforming(parameter.schema ?? { type: 'string' }, context).map((value) => headerSafe(String(value))),
          headerValue,
        ),
        { nil: undefined },
      ),
    ),
  );
  const extraHeaders = fc.record(
    {
      language: acceptLanguage,
      requestId: fc.option(fc.oneof(fc.constantFrom('trace-1', 'a/b', 'x'.repeat(200)), headerValue), { nil: undefined, freq: 6 }),
    },
    { requiredKeys: ['language'] },
  );
  const requestBody =
    operation.method === 'GET'
      ? fc.constant<FuzzBody>({ kind: 'none', contentType: null, payload: null })
      : body(jsonBodySchema(operation), context);
  return fc
    .record({
      segments,
      query: queryString(parameters, context),
      caller,
      garbageAuthorization,
      useApiKey: fc.boolean(),
      split: fc.oneof(fc.constant(null), fc.record({ at: fc.nat(), delayMs: fc.integer({ min: 0, max: 5 }) })),
      headerParameterValues,
      extraHeaders,
      body: requestBody,
    })
    .map(({ segments: values, query, headerParameterValues: headerValues, extraHeaders: extra, ...rest }) => {
      let path = `/api/v1${operation.path}`;
      pathParameters.forEach((parameter, index) => {
        path = path.replace(`{${parameter.name}}`, values[index] ?? '');
      });
      const headers: Record<string, string> = {};
      headerParameters.forEach((parameter, index) => {
        const value = headerValues[index];
        if (value !== undefined) headers[parameter.name] = value;
      });
      if (extra.language !== null) headers['accept-language'] = extra.language;
      if (extra.requestId !== undefined) headers['x-request-id'] = headerSafe(extra.requestId);
      return describable<FuzzRequest>({ method: operation.method, url: `${path}${query}`, headers, ...rest });
    })
    .filter(headFitsUnderNodeLimit);
}

/**
 * Node refuses a request whose head (request line and headers) is over 16 KiB with a 431 before any
 * route sees it; timeouts.test.ts checks that answer. A long query and a long header together can
 * pass that limit, so the operations' fuzz keeps its heads under it, with 1 KiB to spare for the
 * headers fetch adds itself (host, user-agent, content-length…).
 */
const NODE_HEAD_LIMIT_BYTES = 16_384;

function headFitsUnderNodeLimit(request: FuzzRequest): boolean {
  const headers = { ...request.headers, authorization: authorizationFor(request) ?? '', 'content-type': request.body.contentType ?? '' };
  let bytes = Buffer.byteLength(`${request.method} ${request.url} HTTP/1.1\r\n`);
  for (const [name, value] of Object.entries(headers)) bytes += Buffer.byteLength(`${name}: ${value}\r\n`);
  return bytes + 1_024 <= NODE_HEAD_LIMIT_BYTES;
}

/** Creates that succeed leave their ids to later operations (as spare resources). */
function harvest(operation: Operation, response: FuzzResponse) {
  if (response.status !== 201 || typeof response.json !== 'object' || response.json === null) return;
  // A conversation only comes from chat, whose ids are protected; anything else may be edited.
  if (operation.path.endsWith('/chat')) return;
  remember(mutableIds, (response.json as { id?: unknown }).id);
}

describe('fuzz: every operation of the OpenAPI document', () => {
  it('fuzzes the document the server serves', async () => {
    const served = await api.get('/api/v1/openapi.json');
    expect(served.status).toBe(200);
    const servedOperations = listOperations(openApiDocument(served.body)).map((operation) => `${operation.method} ${operation.path}`);
    expect(servedOperations.sort()).toEqual(operations.map((operation) => `${operation.method} ${operation.path}`).sort());
  });

  for (const operation of operations) {
    const label = `${operation.method} ${operation.path}`;
    it(`never answers 5xx and always the envelope: ${label}`, async () => {
      await fc.assert(
        fc.asyncProperty(requestArbitrary(operation), async (request) => {
          const response = await send(request);
          judgeApi(operation, request, response);
          harvest(operation, response);
        }),
        fuzzOptions(label),
      );
      coveredOperations.add(label);
      await healActors();
    }, 120_000);
  }

  it('answers a method the path does not serve with the envelope', async () => {
    const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
    for (const [path, item] of Object.entries(document.paths)) {
      const url = `/api/v1${path.replace(/\{[a-z_]+\}/g, (name) => `${name.slice(1, name.indexOf('_'))}_abc`)}`;
      for (const method of methods.filter((candidate) => !(candidate.toLowerCase() in item))) {
        const request: FuzzRequest = {
          method,
          url,
          caller: 'admin',
          garbageAuthorization: '',
          useApiKey: false,
          headers: {},
          body: { kind: 'json', contentType: 'application/json', payload: '{}' },
        };
        const response = await send(request);
        expect(response.status, describeExchange(request, response)).toBeGreaterThanOrEqual(400);
        expect(response.status, describeExchange(request, response)).toBeLessThan(500);
        expectEnvelope(request, response);
      }
    }
  });

  it('covered every operation in the document', () => {
    expect(coveredOperations.size).toBe(operations.length);
    expect(operations.length).toBe(listOperations(document).length);
  });
});

// ---------------------------------------------------------------------------------------------
// Routes outside the router

const NO_BODY: FuzzBody = { kind: 'none', contentType: null, payload: null };

describe('fuzz: the streaming chat route', () => {
  it('never answers 5xx: POST /api/v1/applications/{app_id}/chat with stream true and false', async () => {
    const operation = operations.find((candidate) => candidate.method === 'POST' && candidate.path === '/applications/{app_id}/chat');
    if (!operation) throw new Error('the chat operation is missing from the document');
    const context: DeriveContext = { document, ids: poolFor(operation) };
    const schema = jsonBodySchema(operation) ?? {};
    const streamed = fc.record({ message: fc.oneof(hostileString, fc.string({ minLength: 1, maxLength: 40 })), stream: fc.constant(true) });
    const request = fc
      .record({
        segment: pathSegment({ type: 'string', pattern: '^app_[a-z0-9]+$', maxLength: 64 }, context),
        caller,
        garbageAuthorization,
        useApiKey: fc.boolean(),
        value: fc.oneof(streamed, mutated(schema, context), hostileValue),
      })
      .map(describable);
    await fc.assert(
      fc.asyncProperty(request, async ({ segment, value, ...rest }) => {
        const fuzz: FuzzRequest = {
          ...rest,
          method: 'POST',
          url: `/api/v1/applications/${segment}/chat`,
          headers: {},
          body: { kind: 'json', contentType: 'application/json', payload: serializeJson(value) },
        };
        judgeApi(operation, fuzz, await send(fuzz));
      }),
      fuzzOptions('sse chat'),
    );
  }, 120_000);
});

describe('fuzz: the multipart upload', () => {
  const BOUNDARY = 'fuzzboundary7MA4YWxkTrZu0gW';
  const encoder = new TextEncoder();

  interface Part {
    name: string;
    filename: string | null;
    contentType: string | null;
    content: string;
  }

  function multipart(parts: Part[], boundary: string, terminate: boolean): Uint8Array {
    const chunks: Uint8Array[] = [];
    for (const part of parts) {
      const disposition = `form-data; name="${part.name}"${part.filename === null ? '' : `; filename="${part.filename}"`}`;
      const head = `--${boundary}\r\nContent-Disposition: ${disposition}\r\n${part.contentType === null ? '' : `Content-Type: ${part.contentType}\r\n`}\r\n`;
      chunks.push(Buffer.from(head, 'latin1'), encoder.encode(part.content), encoder.encode('\r\n'));
    }
    if (terminate) chunks.push(encoder.encode(`--${boundary}--\r\n`));
    return Buffer.concat(chunks);
  }

  const filename = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        'weights.bin',
        'a.txt',
        '../../etc/passwd',
        '..\\..\\boot.ini',
        '',
        ' ',
        '.',
        '..',
        'a\u0000b.bin',
        'x'.repeat(1_000),
        'ｆｕｌｌ.bin',
        '😀.bin',
        '\u202Egnp.exe',
        'con',
        'a"b.bin',
        'a;b.bin',
      ),
    },
    { weight: 2, arbitrary: hostileString.map((value) => value.slice(0, 500)) },
  );
  const part: fc.Arbitrary<Part> = fc.record({
    name: fc.oneof(
      { weight: 4, arbitrary: fc.constant('file') },
      { weight: 1, arbitrary: fc.constantFrom('', 'files', 'file[]', 'FILE', 'name') },
    ),
    filename: fc.oneof({ weight: 5, arbitrary: filename }, { weight: 1, arbitrary: fc.constant(null) }),
    contentType: fc.oneof(
      fc.constant('application/octet-stream'),
      fc.constant(null),
      fc.constantFrom('text/plain', 'image/png', 'x', '/', 'a/b/c', 'application/json; charset=utf-8', 'TEXT/PLAIN'),
      headerValue,
    ),
    content: fc.oneof(fc.string({ maxLength: 200 }), hostileString, fc.constant('')),
  });
  const upload = fc
    .record({
      parts: fc.array(part, { minLength: 0, maxLength: 4 }),
      // Names of Object.prototype properties are weighted in: @fastify/multipart refuses them with its
      // own error, which once surfaced as a 500.
      extraFields: fc.array(
        fc.tuple(
          fc.oneof(
            { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 10 }) },
            { weight: 1, arbitrary: fc.constantFrom('toString', '__proto__', 'constructor', 'valueOf', 'hasOwnProperty') },
          ),
          fc.string({ maxLength: 2_000 }),
        ),
        { maxLength: 12 },
      ),
      contentType: fc.oneof(
        { weight: 6, arbitrary: fc.constant(`multipart/form-data; boundary=${BOUNDARY}`) },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            'multipart/form-data',
            'multipart/form-data; boundary=',
            'multipart/form-data; boundary=other',
            'multipart/mixed; boundary=' + BOUNDARY,
            'application/json',
            'text/plain',
            'application/octet-stream',
          ),
        },
        { weight: 1, arbitrary: headerValue.map((value) => `multipart/form-data; boundary=${value}`) },
      ),
      terminate: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
      garbage: fc.oneof({ weight: 6, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.oneof(hostileString, percentJunk) }),
      split: fc.option(fc.record({ at: fc.nat(), delayMs: fc.integer({ min: 0, max: 5 }) }), { nil: null }),
      caller,
      garbageAuthorization,
      useApiKey: fc.boolean(),
    })
    .map(describable);

  it('never answers 5xx and always the envelope: multipart POST /api/v1/files', async () => {
    const operation = operations.find((candidate) => candidate.method === 'POST' && candidate.path === '/files');
    if (!operation) throw new Error('the upload operation is missing from the document');
    await fc.assert(
      fc.asyncProperty(upload, async ({ parts, extraFields, contentType, terminate, garbage, split, ...who }) => {
        const fields: Part[] = extraFields.map(([name, content]) => ({ name, filename: null, contentType: null, content }));
        const bytes = garbage === null ? multipart([...fields, ...parts], BOUNDARY, terminate) : encoder.encode(garbage);
        const fuzz: FuzzRequest = {
          ...who,
          method: 'POST',
          url: '/api/v1/files',
          headers: {},
          body: { kind: 'bytes', contentType: headerSafe(contentType), payload: bytes },
          split,
        };
        const response = await send(fuzz);
        judgeApi(operation, fuzz, response);
        if (response.status === 201) remember(mutableIds, (response.json as { id?: unknown }).id);
      }),
      fuzzOptions('multipart upload', RUNS * 2),
    );
  }, 120_000);
});

describe('fuzz: the OpenAI-compatible gateway', () => {
  function judgeGateway(request: FuzzRequest, response: FuzzResponse, streamed: boolean) {
    const context = describeExchange(request, response);
    expect(response.status, context).toBeLessThan(500);
    if (response.status >= 400) {
      expect(response.headers.get('content-type'), context).toMatch(/^application\/json/);
      const error = (response.json as { error?: Record<string, unknown> } | undefined)?.error;
      expect(Object.keys(response.json as object), context).toEqual(['error']);
      expect(typeof error?.message === 'string' && error.message.length > 0, context).toBe(true);
      expect(typeof error?.type, context).toBe('string');
      expect(error?.code === null || typeof error?.code === 'string', context).toBe(true);
      expect(response.text, context).not.toMatch(/\bat .+:\d+:\d+|node_modules|"stack"/);
      return;
    }
    expect(response.status, context).toBe(200);
    if (streamed && response.headers.get('content-type')?.startsWith('text/event-stream')) {
      const events = eventsOf(response.text);
      expect(events.length, context).toBeGreaterThan(0);
      const last = events.at(-1) ?? '';
      if (last !== '[DONE]') expect((JSON.parse(last) as { error?: unknown }).error, context).toBeDefined();
      return;
    }
    expect(response.headers.get('content-type'), context).toMatch(/^application\/json/);
    const json = response.json as Record<string, unknown>;
    if (request.url.startsWith('/v1/models')) {
      expect(json.object, context).toBe('list');
      expect(Array.isArray(json.data), context).toBe(true);
    } else {
      expect(json.object, context).toBe('chat.completion');
      expect(Array.isArray(json.choices), context).toBe(true);
    }
  }

  const completionSchema: JsonSchema = {
    type: 'object',
    properties: {
      model: { type: 'string', enum: [] },
      messages: {
        type: 'array',
        minItems: 1,
        maxItems: 3,
        items: {
          type: 'object',
          properties: {
            role: { type: 'string', enum: ['system', 'developer', 'user', 'assistant', 'tool'] },
            content: {
              anyOf: [
                { type: 'string', maxLength: 40 },
                {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: { type: { type: 'string', enum: ['text', 'image_url'] }, text: { type: 'string' } },
                    required: ['type'],
                  },
                },
                { type: 'null' },
              ],
            },
            name: { type: 'string', maxLength: 20 },
          },
          required: ['role', 'content'],
        },
      },
      stream: { type: 'boolean' },
      stream_options: { type: 'object', properties: { include_usage: { type: 'boolean' } } },
      max_tokens: { type: 'integer', minimum: 1, maximum: 64 },
      max_completion_tokens: { type: 'integer', minimum: 1, maximum: 64 },
      temperature: { type: 'number', minimum: 0, maximum: 2 },
      top_p: { type: 'number', minimum: 0, maximum: 1 },
      n: { type: 'integer', minimum: 1, maximum: 2 },
      stop: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
      user: { type: 'string' },
    },
    required: ['model', 'messages'],
  };

  it('never answers 5xx and always the OpenAI error shape: POST /v1/chat/completions', async () => {
    // The model's enum is filled once the world exists: the real model, sometimes.
    const schema: JsonSchema = {
      ...completionSchema,
      properties: {
        ...completionSchema.properties,
        model: { type: 'string', enum: [chatModelName, chatModelName, 'no-such-model', '', chatModelName.toUpperCase()] },
      },
    };
    const context: DeriveContext = { document, ids: () => [] };
    const request = fc
      .record({
        caller,
        garbageAuthorization,
        useApiKey: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
        body: fc.oneof(
          { weight: 3, arbitrary: body(schema, context) },
          {
            weight: 2,
            arbitrary: conforming(schema, context).map((value): FuzzBody => ({
              kind: 'json',
              contentType: 'application/json',
              payload: serializeJson(value),
            })),
          },
        ),
      })
      .map(describable);
    await fc.assert(
      fc.asyncProperty(request, async (fields) => {
        const fuzz: FuzzRequest = { ...fields, method: 'POST', url: '/v1/chat/completions', headers: {} };
        const streamed = typeof fields.body.payload === 'string' && fields.body.payload.includes('"stream":true');
        judgeGateway(fuzz, await send(fuzz), streamed);
      }),
      fuzzOptions('gateway chat', RUNS * 3),
    );
  }, 120_000);

  it('never answers 5xx and always the OpenAI error shape: GET /v1/models', async () => {
    const query = fc.oneof(
      fc.constant(''),
      fc
        .tuple(hostileString, hostileValue)
        .map(([key, value]) => `?${encodeLoose(key.slice(0, 50))}=${encodeLoose(serializeJson(value).slice(0, 200))}`),
      percentJunk.map((junk) => `?${junk}`),
    );
    const request = fc.record({ caller, garbageAuthorization, useApiKey: fc.boolean(), query }).map(describable);
    await fc.assert(
      fc.asyncProperty(request, async ({ query: search, ...fields }) => {
        const fuzz: FuzzRequest = { ...fields, method: 'GET', url: `/v1/models${search}`, headers: {}, body: NO_BODY };
        judgeGateway(fuzz, await send(fuzz), false);
      }),
      fuzzOptions('gateway models'),
    );
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------
// What the fuzz found, kept as fixed examples.

describe('regressions found by the fuzz', () => {
  async function post(
    path: string,
    payload: string | Uint8Array,
    contentType: string,
    split: FuzzRequest['split'] = null,
    method = 'POST',
  ) {
    const request: FuzzRequest = {
      method,
      url: path,
      caller: 'admin',
      garbageAuthorization: '',
      useApiKey: false,
      headers: {},
      body: { kind: 'raw', contentType, payload },
      split,
    };
    return { request, response: await send(request) };
  }

  it.each([
    ['a JSON array of 20 000 numbers', serializeJson(Array.from({ length: 20_000 }, (_, i) => i))],
    ['an object with 20 000 unknown keys', serializeJson(Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i])))],
  ])('answers %s with a short 400 at once (the reasons used to list every key: quadratic)', async (_label, payload) => {
    for (const [method, path] of [
      ['POST', '/api/v1/auth/refresh'],
      ['PUT', '/api/v1/users/password'],
      ['POST', `/api/v1/admin/users/${actors.user.id}/wallet/debit`],
    ] as const) {
      const started = performance.now();
      const { request, response } = await post(path, payload, 'application/json', null, method);
      expect(performance.now() - started).toBeLessThan(3_000);
      expectEnvelope(request, response);
      expect(response.status).toBe(400);
      expect(response.text.length).toBeLessThan(10_000);
      // An array is not an object at all (refused before validation, no issues to list); an object's
      // issues are capped.
      const details = (response.json as { error: { details: { issues: unknown[] } | null } }).error.details;
      if (payload.startsWith('[')) expect(details).toBeNull();
      else expect(details?.issues.length).toBeLessThanOrEqual(20);
    }
  });

  it('refuses a multipart boundary longer than 70 characters with 400, not 500 (busboy throws past 252)', async () => {
    for (const length of [71, 255, 4_000]) {
      const { request, response } = await post('/api/v1/files', new Uint8Array(0), `multipart/form-data; boundary=${'k'.repeat(length)}`);
      expectEnvelope(request, response);
      expect(response.status).toBe(400);
    }
  });

  it('answers an upload cut short before its closing boundary however it arrives (it used to hang)', async () => {
    const boundary = 'bnd';
    const part = (disposition: string, content: string, type = '') =>
      `--${boundary}\r\nContent-Disposition: form-data; ${disposition}\r\n${type}\r\n${content}\r\n`;
    const cut = [
      part('name="a"', 'R_'),
      part('name="b"', '24H[9'),
      part('name="file"; filename="weights.bin"', '', 'Content-Type: \r\n'),
      part('name="file"', 'http://169.254.169.254/latest/meta-data/', 'Content-Type: "\r\n'),
    ].join('');
    const payload = new TextEncoder().encode(cut);
    const statuses = new Set<number>();
    for (let at = 1; at < payload.length; at += 5) {
      const { request, response } = await post('/api/v1/files', payload, `multipart/form-data; boundary=${boundary}`, { at, delayMs: 5 });
      // GET /files lists them now: the upload is the POST.
      const upload = operations.find((operation) => operation.path === '/files' && operation.method.toUpperCase() === 'POST');
      judgeApi(upload ?? operations[0]!, request, response);
      statuses.add(response.status);
    }
    // Cut inside the file part: refused; cut after it: the complete file is kept.
    expect([...statuses].sort()).toEqual([201, 400]);
  });

  it('answers the next request on a kept-alive connection after an upload whose tail it did not read (it used to hang)', async () => {
    const boundary = 'bnd';
    const filePart = (filename: string, content: string) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n${content}\r\n`;
    // The second file is over the one-file limit: the answer goes out before it is read.
    const upload = `${filePart('a.bin', 'first')}${filePart('b.bin', 'x'.repeat(200_000))}--${boundary}--\r\n`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const call = (method: string, path: string, body?: string, contentType?: string) =>
      new Promise<number>((resolve, reject) => {
        const url = new URL(`${server.url}${path}`);
        const headers: Record<string, string> = { authorization: `Bearer ${actors.user.token}` };
        if (contentType) headers['content-type'] = contentType;
        const outgoing = http.request({ host: url.hostname, port: url.port, path: url.pathname, method, headers, agent }, (incoming) => {
          incoming.resume();
          incoming.on('end', () => resolve(incoming.statusCode ?? 0));
        });
        outgoing.setTimeout(5_000, () => outgoing.destroy(new Error(`${method} ${path}: no answer within 5 s`)));
        outgoing.on('error', reject);
        outgoing.end(body);
      });
    try {
      expect(await call('POST', '/api/v1/files', upload, `multipart/form-data; boundary=${boundary}`)).toBe(201);
      expect(await call('GET', '/api/v1/users/profile')).toBe(200);
    } finally {
      agent.destroy();
    }
  });
});
