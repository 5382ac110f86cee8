// A real HTTP server that speaks the OpenAI Chat Completions protocol, for
// tests. Behaviour is picked per request by the model name (`mock-500`, …) or
// forced for the whole server with setBehavior. Replies are deterministic and
// usage is computed with gpt-tokenizer, so tests can assert exact numbers.
//
// It is STRICT, like OpenAI: it requires `Authorization: Bearer`, refuses unknown roles, a tool
// message without a tool_call_id or whose id answers no earlier assistant tool call, assistant
// tool_calls with content other than null or a string, and `max_tokens` for reasoning models
// (names starting with `o1-` or `reasoning-`). When tools are offered and the last user message
// names one, it answers with a call to it; after tool results it answers with text quoting them.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { sampleArguments } from '../src/inference/adapters/demo-echo/reply.js';
import { countTextTokens } from '../src/inference/token-count.js';

/** A chat message as tests write them. */
export interface ChatMessage {
  role: string;
  content: string | null | unknown[];
  [field: string]: unknown;
}

export const MOCK_BEHAVIORS = [
  'ok',
  '500',
  '429',
  '400',
  'slow-first-byte',
  'slow-first-token',
  'slow-stream',
  'cut',
  'no-usage',
  'hang',
  'bad-json',
  'stream-error',
  'overcount',
  'cached',
] as const;
export type MockBehavior = (typeof MOCK_BEHAVIORS)[number];

export interface MockTuning {
  /** Delay before response headers for `slow-first-byte`, and between the headers and the first chunk for `slow-first-token`. Default 500 ms. */
  firstByteDelayMs: number;
  /** Delay between SSE chunks for `slow-stream` (and before the JSON body when not streaming). Default 500 ms. */
  chunkDelayMs: number;
  /** Content chunks sent before `cut` destroys the socket. Default 3. */
  cutAfterChunks: number;
  /** When set, requests without `Authorization: Bearer <key>` get a 401. */
  requireApiKey: string | null;
}

export interface MockUpstreamOptions extends Partial<MockTuning> {
  /** Forces a behaviour for every request, whatever the model name. */
  behavior?: MockBehavior | null;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or null for GET / unparsable bodies. */
  body: Record<string, unknown> | null;
  /** The body as sent. */
  text: string;
}

export interface MockUpstream {
  /** Base URL ending in `/v1`. */
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Requests whose client went away before the mock finished answering. */
  readonly abortedRequests: number;
  /** Requests the mock answered completely. */
  readonly completedRequests: number;
  /** TCP connections accepted: tells whether keep-alive reused sockets. */
  readonly connections: number;
  setBehavior(behavior: MockBehavior | null, tuning?: Partial<MockTuning>): void;
  close(): Promise<void>;
}

export const MOCK_REPLY_SUFFIX = 'The quick brown fox jumps over the lazy dog.';

function textOf(message: ChatMessage | undefined): string {
  if (!message) return '';
  if (typeof message.content === 'string') return message.content;
  if (!Array.isArray(message.content)) return '';
  return message.content
    .flatMap((part) => (isRecord(part) && part.type === 'text' && typeof part.text === 'string' ? [part.text] : []))
    .join('\n');
}

/** The exact reply text the mock sends for these messages. */
export function mockReply(messages: readonly ChatMessage[]): string {
  const last = messages.at(-1);
  if (last?.role === 'tool') return `Tool said: ${textOf(last)}. ${MOCK_REPLY_SUFFIX}`;
  const lastUser = [...messages].reverse().find((message) => message.role === 'user');
  return `You said: ${textOf(lastUser)}. ${MOCK_REPLY_SUFFIX}`;
}

function countPromptTokens(messages: readonly ChatMessage[]): number {
  return countTextTokens(messages.map(textOf).join('\n'));
}

/**
 * The tools the mock calls: those offered in `tools` that the last (user) message names, in the
 * order offered (several: parallel calls). After tool results it answers with text, unless the
 * last user message contains `[loop]`: then it calls the same tools again, round after round.
 */
export function mockToolCalls(body: Record<string, unknown>): { id: string; name: string; arguments: string }[] {
  const messages = Array.isArray(body.messages) ? (body.messages as ChatMessage[]) : [];
  const last = messages.at(-1);
  if (!Array.isArray(body.tools) || body.tool_choice === 'none') return [];
  const lastUser = [...messages].reverse().find((message) => message.role === 'user');
  if (last?.role !== 'user' && !(last?.role === 'tool' && textOf(lastUser).includes('[loop]'))) return [];
  const text = textOf(lastUser);
  const calls: { id: string; name: string; arguments: string }[] = [];
  for (const tool of body.tools) {
    const f = isRecord(tool) && isRecord(tool.function) ? tool.function : null;
    if (f && typeof f.name === 'string' && text.includes(f.name)) {
      const parameters = isRecord(f.parameters) ? f.parameters : undefined;
      const id = calls.length === 0 ? `call_mock_${messages.length}` : `call_mock_${messages.length}_${calls.length}`;
      calls.push({ id, name: f.name, arguments: JSON.stringify(sampleArguments(parameters)) });
    }
  }
  return calls;
}

/** The first tool the mock calls, if any (see mockToolCalls). */
export function mockToolCall(body: Record<string, unknown>): { id: string; name: string; arguments: string } | null {
  return mockToolCalls(body)[0] ?? null;
}

const ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool']);
const PART_TYPES: Record<string, Set<string>> = {
  system: new Set(['text']),
  developer: new Set(['text']),
  user: new Set(['text', 'image_url', 'input_audio', 'file']),
  assistant: new Set(['text', 'refusal']),
  tool: new Set(['text']),
};

/** What OpenAI would refuse in this body, as its 400 message and param; null when it is valid. */
export function strictCheck(body: Record<string, unknown>): { message: string; param: string } | null {
  const model = typeof body.model === 'string' ? body.model : '';
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    return { message: "Missing required parameter: 'messages'.", param: 'messages' };
  if ((model.startsWith('o1-') || model.startsWith('reasoning-')) && body.max_tokens !== undefined) {
    return {
      message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
      param: 'max_tokens',
    };
  }
  const answered = new Set<string>();
  let pending = new Set<string>();
  for (let i = 0; i < body.messages.length; i++) {
    const m: unknown = body.messages[i];
    const at = `messages[${i}]`;
    if (!isRecord(m) || typeof m.role !== 'string' || !ROLES.has(m.role))
      return { message: `Invalid value for '${at}.role'.`, param: `${at}.role` };
    const content = m.content;
    if (Array.isArray(content)) {
      for (const part of content) {
        if (!isRecord(part) || typeof part.type !== 'string' || !PART_TYPES[m.role]!.has(part.type)) {
          return { message: `Invalid content part type for role '${m.role}'.`, param: `${at}.content` };
        }
        if (part.type === 'image_url' && !(isRecord(part.image_url) && typeof part.image_url.url === 'string')) {
          return { message: 'image_url.url is required.', param: `${at}.content` };
        }
      }
    } else if (typeof content !== 'string' && !(m.role === 'assistant' && (content === null || content === undefined))) {
      return { message: `Invalid type for '${at}.content'.`, param: `${at}.content` };
    }
    if (m.role === 'assistant') {
      if (m.tool_calls !== undefined) {
        if (!Array.isArray(m.tool_calls) || m.tool_calls.length === 0)
          return { message: 'tool_calls must be a non-empty array.', param: `${at}.tool_calls` };
        if (content !== null && content !== undefined && typeof content !== 'string' && !Array.isArray(content)) {
          return { message: 'content must be null or a string with tool_calls.', param: `${at}.content` };
        }
        pending = new Set();
        for (const call of m.tool_calls) {
          const f = isRecord(call) ? call.function : undefined;
          if (
            !isRecord(call) ||
            typeof call.id !== 'string' ||
            call.type !== 'function' ||
            !isRecord(f) ||
            typeof f.name !== 'string' ||
            typeof f.arguments !== 'string'
          ) {
            return { message: 'Invalid tool call.', param: `${at}.tool_calls` };
          }
          pending.add(call.id);
        }
      } else if (content === null || content === undefined) {
        return { message: "Missing parameter 'content' or 'tool_calls'.", param: `${at}.content` };
      }
    } else if (m.role === 'tool') {
      if (typeof m.tool_call_id !== 'string') return { message: "Missing parameter 'tool_call_id'.", param: `${at}.tool_call_id` };
      if (!pending.has(m.tool_call_id) || answered.has(m.tool_call_id)) {
        return {
          message: "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
          param: `${at}.tool_call_id`,
        };
      }
      answered.add(m.tool_call_id);
    }
  }
  return null;
}

/** The reply split the way the mock streams it: one piece per word, spaces kept. */
export function mockReplyPieces(messages: readonly ChatMessage[]): string[] {
  return mockReply(messages).split(/(?<=\s)(?=\S)/);
}

/** Of a prompt, the tokens `cached` reports as read from the prompt cache (prompt_tokens_details.cached_tokens). */
export function mockCachedTokens(promptTokens: number): number {
  return Math.floor(promptTokens / 2);
}

/** The usage the mock reports for these messages. */
export function mockUsage(messages: readonly ChatMessage[]): { prompt_tokens: number; completion_tokens: number } {
  return { prompt_tokens: countPromptTokens(messages), completion_tokens: countTextTokens(mockReply(messages)) };
}

function isBehavior(value: string): value is MockBehavior {
  return MOCK_BEHAVIORS.some((behavior) => behavior === value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isChatMessage(value: unknown): value is ChatMessage {
  return isRecord(value) && typeof value.role === 'string';
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  req.setEncoding('utf8');
  for await (const part of req) text += part;
  return text;
}

export async function startMockUpstream(options: MockUpstreamOptions = {}): Promise<MockUpstream> {
  const tuning: MockTuning = {
    firstByteDelayMs: options.firstByteDelayMs ?? 500,
    chunkDelayMs: options.chunkDelayMs ?? 500,
    cutAfterChunks: options.cutAfterChunks ?? 3,
    requireApiKey: options.requireApiKey ?? null,
  };
  let forced: MockBehavior | null = options.behavior ?? null;
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let abortedRequests = 0;
  let completedRequests = 0;
  let connections = 0;

  // Resolves after `ms`, or early (false) when the client has gone away, so a
  // closed request stops writing instead of throwing EPIPE into the test.
  const wait = (ms: number, res: ServerResponse): Promise<boolean> =>
    new Promise((resolve) => {
      if (res.destroyed) return resolve(false);
      const onClose = (): void => {
        clearTimeout(timer);
        timers.delete(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        timers.delete(timer);
        res.off('close', onClose);
        resolve(!res.destroyed);
      }, ms);
      timers.add(timer);
      res.once('close', onClose);
    });

  const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };

  function behaviorFor(model: string): MockBehavior {
    const requested = model.startsWith('mock-') ? model.slice('mock-'.length) : 'ok';
    return forced ?? (isBehavior(requested) ? requested : 'ok');
  }

  /**
   * POST /v1/embeddings, as strict as OpenAI's: Bearer auth, a model, a non-empty string or array
   * of non-empty strings, float or base64, a positive integer `dimensions`, no unknown field. The
   * vector of a text is its character codes folded into `dimensions` (default 8) slots; usage
   * counts one token per character, which no tokenizer does, so a test can tell whose count was billed.
   */
  function embeddings(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>): void {
    const authorization = req.headers.authorization ?? '';
    if (!/^Bearer \S+$/.test(authorization) || (tuning.requireApiKey !== null && authorization !== `Bearer ${tuning.requireApiKey}`)) {
      return sendJson(res, 401, {
        error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' },
      });
    }
    const refuse = (message: string, param: string) =>
      sendJson(res, 400, { error: { message, type: 'invalid_request_error', param, code: null } });
    const unknown = Object.keys(body).find((key) => !['model', 'input', 'encoding_format', 'dimensions', 'user'].includes(key));
    if (unknown) return refuse(`Unrecognized request argument supplied: ${unknown}`, unknown);
    if (typeof body.model !== 'string' || body.model === '') return refuse('you must provide a model parameter', 'model');
    const inputs = typeof body.input === 'string' ? [body.input] : body.input;
    if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((t) => typeof t === 'string' && t !== '')) {
      return refuse("'$.input' is invalid.", 'input');
    }
    if (body.encoding_format !== undefined && body.encoding_format !== 'float' && body.encoding_format !== 'base64') {
      return refuse('encoding_format must be float or base64', 'encoding_format');
    }
    const dimensions = body.dimensions ?? 8;
    if (typeof dimensions !== 'number' || !Number.isInteger(dimensions) || dimensions < 1)
      return refuse('dimensions must be a positive integer', 'dimensions');
    if (behaviorFor(body.model) === '500')
      return sendJson(res, 500, { error: { message: 'mock upstream exploded', type: 'server_error' } });
    const texts = inputs as string[];
    const data = texts.map((text, index) => {
      const vector = new Array<number>(dimensions).fill(0);
      for (let i = 0; i < text.length; i++) vector[i % dimensions]! += text.charCodeAt(i) / 1000;
      return { object: 'embedding', index, embedding: vector };
    });
    const promptTokens = texts.reduce((sum, text) => sum + text.length, 0);
    // Out of order on purpose: clients must place vectors by `index`.
    sendJson(res, 200, {
      object: 'list',
      data: data.reverse(),
      model: body.model,
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    });
  }

  async function chatCompletions(
    req: IncomingMessage,
    res: ServerResponse,
    body: Record<string, unknown>,
    exchange: { cutByServer: boolean },
  ): Promise<void> {
    const model = typeof body.model === 'string' ? body.model : '';
    const behavior = behaviorFor(model);
    const messages = Array.isArray(body.messages) ? body.messages.filter(isChatMessage) : [];
    const stream = body.stream === true;
    const includeUsage = behavior !== 'no-usage' && isRecord(body.stream_options) && body.stream_options.include_usage === true;

    const authorization = req.headers.authorization ?? '';
    if (!/^Bearer \S+$/.test(authorization) || (tuning.requireApiKey !== null && authorization !== `Bearer ${tuning.requireApiKey}`)) {
      return sendJson(res, 401, {
        error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' },
      });
    }
    const refused = strictCheck(body);
    if (refused) return sendJson(res, 400, { error: { ...refused, type: 'invalid_request_error', code: null } });
    switch (behavior) {
      case '500':
        return sendJson(res, 500, { error: { message: 'mock upstream exploded', type: 'server_error' } });
      case '429':
        return sendJson(res, 429, { error: { message: 'Rate limit reached', type: 'rate_limit_exceeded' } }, { 'retry-after': '2' });
      case '400':
        return sendJson(res, 400, {
          error: { message: 'mock rejects this request', type: 'invalid_request_error', code: 'bad_request' },
        });
      case 'hang':
        // Never answer; the socket stays open until the client gives up.
        return;
      case 'slow-first-byte':
        if (!(await wait(tuning.firstByteDelayMs, res))) return;
        break;
      default:
        break;
    }

    const toolCalls = mockToolCalls(body);
    const toolCall = toolCalls[0] ?? null;
    const reply = toolCall ? '' : mockReply(messages);
    const usage: { prompt_tokens: number; completion_tokens: number; prompt_tokens_details?: { cached_tokens: number } } = toolCall
      ? {
          prompt_tokens: countPromptTokens(messages),
          completion_tokens: countTextTokens(toolCalls.map((call) => call.name + call.arguments).join('')),
        }
      : mockUsage(messages);
    // 'overcount' reports far more tokens than anyone could estimate, like a tokenizer that counts more.
    if (behavior === 'overcount') {
      usage.prompt_tokens = usage.prompt_tokens * 20 + 5_000;
      usage.completion_tokens = usage.completion_tokens * 20 + 5_000;
    }
    // 'cached' reports part of the prompt as read from the prompt cache, as OpenAI does on a cache hit.
    if (behavior === 'cached') usage.prompt_tokens_details = { cached_tokens: mockCachedTokens(usage.prompt_tokens) };
    const id = `chatcmpl-mock-${requests.length}`;
    const created = 1_700_000_000;

    if (!stream) {
      if (behavior === 'bad-json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"id": "not json');
        return;
      }
      const completion = {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          toolCall
            ? {
                index: 0,
                message: {
                  role: 'assistant',
                  content: null,
                  tool_calls: toolCalls.map((call) => ({
                    id: call.id,
                    type: 'function',
                    function: { name: call.name, arguments: call.arguments },
                  })),
                  refusal: null,
                },
                finish_reason: 'tool_calls',
              }
            : { index: 0, message: { role: 'assistant', content: reply, refusal: null }, finish_reason: 'stop' },
        ],
        ...(behavior === 'no-usage' ? {} : { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } }),
      };
      if (behavior === 'slow-stream') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        if (!(await wait(tuning.chunkDelayMs, res))) return;
        res.end(JSON.stringify(completion));
        return;
      }
      return sendJson(res, 200, completion);
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.flushHeaders();
    const send = (delta: Record<string, unknown>, finishReason: string | null): void => {
      const chunk = {
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index: 0, delta, finish_reason: finishReason }],
        // Like OpenAI: with include_usage every chunk carries `usage: null` until the last.
        ...(includeUsage ? { usage: null } : {}),
      };
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    };

    if (toolCall) {
      for (const [index, call] of toolCalls.entries()) {
        send(
          {
            ...(index === 0 ? { role: 'assistant', content: null } : {}),
            tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }],
          },
          null,
        );
        const half = Math.floor(call.arguments.length / 2);
        for (const piece of [call.arguments.slice(0, half), call.arguments.slice(half)]) {
          send({ tool_calls: [{ index, function: { arguments: piece } }] }, null);
        }
      }
      send({}, 'tool_calls');
      if (includeUsage) {
        res.write(
          `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } })}\n\n`,
        );
      }
      res.end('data: [DONE]\n\n');
      return;
    }
    // A model that takes its time to the first token: the stream is open, nothing comes yet.
    if (behavior === 'slow-first-token' && !(await wait(tuning.firstByteDelayMs, res))) return;
    send({ role: 'assistant', content: '' }, null);
    const pieces = mockReplyPieces(messages);
    for (let i = 0; i < pieces.length; i++) {
      if (behavior === 'cut' && i === tuning.cutAfterChunks) {
        // Give the chunks time to leave, then drop the connection without ending the chunked body.
        await wait(30, res);
        exchange.cutByServer = true;
        req.socket.destroy();
        return;
      }
      if (behavior === 'stream-error' && i === tuning.cutAfterChunks) {
        res.write(`data: ${JSON.stringify({ error: { message: 'model overloaded mid-stream', type: 'server_error' } })}\n\n`);
        res.end();
        return;
      }
      if (behavior === 'slow-stream' && !(await wait(tuning.chunkDelayMs, res))) return;
      if (res.destroyed) return;
      send({ content: pieces[i] }, null);
    }
    send({}, 'stop');
    if (includeUsage) {
      const last = {
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [],
        usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
      };
      res.write(`data: ${JSON.stringify(last)}\n\n`);
    }
    res.end('data: [DONE]\n\n');
  }

  const server = createServer((req, res) => {
    const exchange = { cutByServer: false };
    res.on('close', () => {
      if (res.writableFinished) completedRequests++;
      else if (!exchange.cutByServer) abortedRequests++;
    });
    const handle = async (): Promise<void> => {
      const text = await readBody(req);
      let body: Record<string, unknown> | null = null;
      try {
        const parsed: unknown = text === '' ? null : JSON.parse(text);
        body = isRecord(parsed) ? parsed : null;
      } catch {
        body = null;
      }
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, text });

      const path = (req.url ?? '').split('?')[0];
      if (req.method === 'GET' && path === '/v1/models') {
        // Like OpenAI: the model list needs the key too.
        const authorization = req.headers.authorization ?? '';
        if (tuning.requireApiKey !== null && authorization !== `Bearer ${tuning.requireApiKey}`) {
          return sendJson(res, 401, {
            error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' },
          });
        }
        return sendJson(res, 200, {
          object: 'list',
          data: MOCK_BEHAVIORS.map((behavior) => ({ id: `mock-${behavior}`, object: 'model', created: 0, owned_by: 'mock' })),
        });
      }
      if (req.method === 'POST' && path === '/v1/embeddings') {
        if (body === null) return sendJson(res, 400, { error: { message: 'body must be JSON', type: 'invalid_request_error' } });
        return embeddings(req, res, body);
      }
      if (req.method === 'POST' && path === '/v1/chat/completions') {
        if (body === null) return sendJson(res, 400, { error: { message: 'body must be JSON', type: 'invalid_request_error' } });
        return chatCompletions(req, res, body, exchange);
      }
      return sendJson(res, 404, { error: { message: `no route for ${req.method} ${path}`, type: 'not_found' } });
    };
    handle().catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(err), type: 'mock_failure' } });
      else res.destroy();
    });
  });

  server.on('connection', () => {
    connections++;
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    get abortedRequests() {
      return abortedRequests;
    },
    get completedRequests() {
      return completedRequests;
    },
    get connections() {
      return connections;
    },
    setBehavior(behavior, update = {}) {
      forced = behavior;
      Object.assign(tuning, update);
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
