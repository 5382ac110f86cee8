// A real HTTP server that speaks Anthropic's Messages API, for tests. It is STRICT: it refuses
// what the real API refuses (missing x-api-key or anthropic-version, no max_tokens, roles other than
// user/assistant, turns that do not alternate starting with the user, a tool_result that answers no
// tool_use of the assistant turn just before it, a tool_use left unanswered, unknown block types and
// unknown fields), so a translation bug fails a test instead of passing by luck.
//
// Replies are deterministic:
// - the last user turn holds tool results → "Tool said: <results>.";
// - tools are given and tool_choice forces one, or the last user text names one → a text block then a
//   tool_use block (input from `toolInput`, default {query: <last user text>}), stop_reason tool_use;
// - otherwise "You said: <last user text>. [I see N image(s).] The quick brown fox jumps over the lazy dog.",
//   cut at max_tokens or at a stop sequence.
// Usage: input = o200k tokens of every text in the request, split into input_tokens and the cache
// fields as set with setCache (Anthropic's input_tokens excludes both cache fields); output = o200k
// tokens of the reply text plus the tool inputs' JSON.
// Model names pick faults: `claude-529` (overloaded), `claude-stream-error` (error event after the
// first text delta), `claude-cut` (socket destroyed mid-stream).
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { countTextTokens, truncateToTokens } from '../src/inference/token-count.js';

export const ANTHROPIC_MOCK_KEY = 'sk-ant-mock-key';
export const ANTHROPIC_MOCK_SUFFIX = 'The quick brown fox jumps over the lazy dog.';

export interface AnthropicMockOptions {
  /** The x-api-key every request must carry. */
  apiKey?: string;
  /** Delay between streamed events. Default 0. */
  chunkDelayMs?: number;
  /** Arguments of a scripted tool call. */
  toolInput?: (toolName: string, lastUserText: string) => Record<string, unknown>;
}

export interface AnthropicMockRequest {
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface AnthropicMock {
  /** Base URL as the anthropic provider kind stores it (no /v1). */
  url: string;
  /** Requests the mock accepted. */
  requests: AnthropicMockRequest[];
  /** Requests it refused, with the reason it gave: a test asserts this stays empty. */
  rejections: { status: number; message: string }[];
  /** Of each request's input tokens, how many to report as read from / written to the prompt cache. */
  setCache(cache: { read: number; creation: number }): void;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

const TOP_LEVEL_FIELDS = new Set([
  'model',
  'messages',
  'max_tokens',
  'system',
  'metadata',
  'stop_sequences',
  'stream',
  'temperature',
  'top_p',
  'top_k',
  'tools',
  'tool_choice',
  'thinking',
  'service_tier',
]);
const USER_BLOCKS = new Set(['text', 'image', 'document', 'tool_result']);
const ASSISTANT_BLOCKS = new Set(['text', 'tool_use', 'thinking', 'redacted_thinking']);
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

const refuse = (message: string): never => {
  throw new Refusal(400, 'invalid_request_error', message);
};

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function onlyKeys(value: Json, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(value)) if (!allowed.includes(key)) refuse(`${where}.${key}: Extra inputs are not permitted`);
}

function checkText(block: Json, where: string): void {
  onlyKeys(block, ['type', 'text', 'cache_control', 'citations'], where);
  if (typeof block.text !== 'string' || block.text === '') refuse(`${where}: text content blocks must be non-empty`);
}

function checkSource(source: unknown, where: string, mediaTypes?: Set<string>): void {
  if (!isRecord(source)) return refuse(`${where}.source: Field required`);
  if (source.type === 'base64') {
    onlyKeys(source, ['type', 'media_type', 'data'], `${where}.source`);
    if (typeof source.data !== 'string' || source.data === '') refuse(`${where}.source.data: Field required`);
    if (typeof source.media_type !== 'string' || (mediaTypes && !mediaTypes.has(source.media_type))) {
      refuse(`${where}.source.media_type: Input should be ${[...(mediaTypes ?? [])].join(', ')}`);
    }
  } else if (source.type === 'url') {
    onlyKeys(source, ['type', 'url'], `${where}.source`);
    if (typeof source.url !== 'string' || !/^https?:\/\//.test(source.url)) refuse(`${where}.source.url: must be an http(s) URL`);
  } else {
    refuse(`${where}.source.type: Input tag '${String(source.type)}' found using 'type' does not match any of the expected tags`);
  }
}

function checkBlock(block: unknown, role: 'user' | 'assistant', where: string): Json {
  if (!isRecord(block) || typeof block.type !== 'string') return refuse(`${where}: Input should be a valid content block`);
  const allowed = role === 'user' ? USER_BLOCKS : ASSISTANT_BLOCKS;
  if (!allowed.has(block.type)) refuse(`${where}: Input tag '${block.type}' found using 'type' does not match any of the expected tags`);
  switch (block.type) {
    case 'text':
      checkText(block, where);
      break;
    case 'image':
      onlyKeys(block, ['type', 'source', 'cache_control'], where);
      checkSource(block.source, where, IMAGE_TYPES);
      break;
    case 'document':
      onlyKeys(block, ['type', 'source', 'title', 'context', 'citations', 'cache_control'], where);
      checkSource(block.source, where);
      break;
    case 'tool_use':
      onlyKeys(block, ['type', 'id', 'name', 'input', 'cache_control'], where);
      if (typeof block.id !== 'string' || !/^[a-zA-Z0-9_-]+$/.test(block.id))
        refuse(`${where}.id: String should match pattern '^[a-zA-Z0-9_-]+$'`);
      if (typeof block.name !== 'string' || block.name === '') refuse(`${where}.name: Field required`);
      if (!isRecord(block.input)) refuse(`${where}.input: Input should be a valid dictionary`);
      break;
    case 'tool_result': {
      onlyKeys(block, ['type', 'tool_use_id', 'content', 'is_error', 'cache_control'], where);
      if (typeof block.tool_use_id !== 'string') refuse(`${where}.tool_use_id: Field required`);
      const content = block.content;
      if (Array.isArray(content)) {
        content.forEach((inner, k) => {
          if (!isRecord(inner) || (inner.type !== 'text' && inner.type !== 'image'))
            refuse(`${where}.content.${k}: only text and image blocks`);
          else if (inner.type === 'text') checkText(inner, `${where}.content.${k}`);
          else checkSource(inner.source, `${where}.content.${k}`, IMAGE_TYPES);
        });
      } else if (content !== undefined && typeof content !== 'string') {
        refuse(`${where}.content: Input should be a valid string or list`);
      }
      break;
    }
    case 'thinking':
      if (typeof block.thinking !== 'string' || typeof block.signature !== 'string')
        refuse(`${where}: thinking blocks need thinking and signature`);
      break;
    default:
      break;
  }
  return block;
}

interface CheckedRequest {
  model: string;
  maxTokens: number;
  stream: boolean;
  /** Blocks of each turn, normalised from string content. */
  turns: { role: 'user' | 'assistant'; blocks: Json[] }[];
  systemText: string;
  tools: Json[];
  toolChoice: Json | undefined;
  stopSequences: string[];
}

/** Validates a Messages request as the real API does, or throws the Refusal it would answer. */
export function checkAnthropicRequest(headers: IncomingHttpHeaders, body: unknown, apiKey: string): CheckedRequest {
  if (headers['x-api-key'] === undefined) throw new Refusal(401, 'authentication_error', 'x-api-key header is required');
  if (headers['x-api-key'] !== apiKey) throw new Refusal(401, 'authentication_error', 'invalid x-api-key');
  const version = headers['anthropic-version'];
  if (typeof version !== 'string') refuse('anthropic-version: header is required');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(String(version))) refuse(`anthropic-version: invalid version ${String(version)}`);
  if (!isRecord(body)) return refuse('body: Input should be a valid dictionary');
  for (const key of Object.keys(body)) if (!TOP_LEVEL_FIELDS.has(key)) refuse(`${key}: Extra inputs are not permitted`);
  if (typeof body.model !== 'string' || body.model === '') refuse('model: Field required');
  if (body.max_tokens === undefined) refuse('max_tokens: Field required');
  if (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens) || body.max_tokens < 1)
    refuse('max_tokens: must be a positive integer');
  if (body.stream !== undefined && typeof body.stream !== 'boolean') refuse('stream: Input should be a valid boolean');
  if (body.temperature !== undefined && (typeof body.temperature !== 'number' || body.temperature < 0 || body.temperature > 1)) {
    refuse('temperature: Input should be less than or equal to 1');
  }
  if (body.top_p !== undefined && (typeof body.top_p !== 'number' || body.top_p < 0 || body.top_p > 1))
    refuse('top_p: must be within [0, 1]');
  if (body.top_k !== undefined && (typeof body.top_k !== 'number' || !Number.isInteger(body.top_k) || body.top_k < 0))
    refuse('top_k: invalid');
  if (body.metadata !== undefined) {
    if (!isRecord(body.metadata)) refuse('metadata: Input should be a valid dictionary');
    else {
      onlyKeys(body.metadata, ['user_id'], 'metadata');
      if (body.metadata.user_id !== undefined && typeof body.metadata.user_id !== 'string')
        refuse('metadata.user_id: Input should be a valid string');
    }
  }
  const stopSequences = body.stop_sequences ?? [];
  if (!Array.isArray(stopSequences) || !stopSequences.every((s) => typeof s === 'string'))
    refuse('stop_sequences: Input should be a valid list of strings');

  let systemText = '';
  if (typeof body.system === 'string') systemText = body.system;
  else if (Array.isArray(body.system)) {
    body.system.forEach((block, i) => {
      if (!isRecord(block) || block.type !== 'text') refuse(`system.${i}: only text blocks`);
      else {
        checkText(block, `system.${i}`);
        systemText += `${systemText ? '\n' : ''}${String(block.text)}`;
      }
    });
  } else if (body.system !== undefined) refuse('system: Input should be a valid string or list');

  const tools: Json[] = [];
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) refuse('tools: Input should be a valid list');
    (body.tools as unknown[]).forEach((tool, i) => {
      if (!isRecord(tool)) return refuse(`tools.${i}: Input should be a valid dictionary`);
      onlyKeys(tool, ['name', 'description', 'input_schema', 'cache_control', 'type'], `tools.${i}`);
      if (typeof tool.name !== 'string' || !/^[a-zA-Z0-9_-]{1,128}$/.test(tool.name))
        refuse(`tools.${i}.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`);
      if (!isRecord(tool.input_schema) || tool.input_schema.type !== 'object') refuse(`tools.${i}.input_schema: type must be 'object'`);
      tools.push(tool);
    });
  }
  let toolChoice: Json | undefined;
  if (body.tool_choice !== undefined) {
    if (!isRecord(body.tool_choice)) return refuse('tool_choice: Input should be a valid dictionary');
    toolChoice = body.tool_choice;
    const type = toolChoice.type;
    if (type !== 'auto' && type !== 'any' && type !== 'tool' && type !== 'none') refuse(`tool_choice.type: invalid '${String(type)}'`);
    if (type !== 'none' && tools.length === 0) refuse('tool_choice: may only be specified while providing tools');
    if (type === 'tool' && !tools.some((tool) => tool.name === toolChoice?.name))
      refuse(`tool_choice.name: no tool named '${String(toolChoice.name)}'`);
  }

  const messages: unknown[] = Array.isArray(body.messages) ? body.messages : [];
  if (messages.length === 0) refuse('messages: at least one message is required');
  const turns: CheckedRequest['turns'] = [];
  messages.forEach((message, i) => {
    const where = `messages.${i}`;
    if (!isRecord(message)) return refuse(`${where}: Input should be a valid dictionary`);
    onlyKeys(message, ['role', 'content'], where);
    const role = message.role;
    if (role === 'system')
      refuse(
        `${where}.role: Unexpected role "system". The Messages API accepts a top-level \`system\` parameter, not "system" as an input message role.`,
      );
    if (role !== 'user' && role !== 'assistant') return refuse(`${where}.role: Input should be 'user' or 'assistant'`);
    if (i === 0 && role !== 'user') refuse('messages: first message must use the "user" role');
    if (i > 0 && turns[i - 1]?.role === role)
      refuse(`messages: roles must alternate between "user" and "assistant", but found multiple "${role}" roles in a row`);
    let blocks: Json[];
    if (typeof message.content === 'string') {
      if (message.content === '' && !(role === 'assistant' && i === messages.length - 1))
        refuse(`${where}: all messages must have non-empty content except for the optional final assistant message`);
      blocks = message.content === '' ? [] : [{ type: 'text', text: message.content }];
    } else if (Array.isArray(message.content)) {
      if (message.content.length === 0 && !(role === 'assistant' && i === messages.length - 1))
        refuse(`${where}: all messages must have non-empty content except for the optional final assistant message`);
      blocks = message.content.map((block, j) => checkBlock(block, role, `${where}.content.${j}`));
    } else return refuse(`${where}.content: Field required`);
    turns.push({ role, blocks });
  });

  // Tool use and results pair up across adjacent turns, as the real API insists.
  turns.forEach((turn, i) => {
    if (turn.role !== 'assistant') return;
    const ids = turn.blocks.filter((block) => block.type === 'tool_use').map((block) => String(block.id));
    const next = turns[i + 1];
    if (ids.length > 0 && next) {
      const answered = new Set(next.blocks.filter((block) => block.type === 'tool_result').map((block) => String(block.tool_use_id)));
      const missing = ids.filter((id) => !answered.has(id));
      if (missing.length > 0)
        refuse(`messages.${i + 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}`);
    }
  });
  turns.forEach((turn, i) => {
    if (turn.role !== 'user') return;
    const previous = turns[i - 1];
    const known = new Set((previous?.blocks ?? []).filter((block) => block.type === 'tool_use').map((block) => String(block.id)));
    let seenOther = false;
    turn.blocks.forEach((block, j) => {
      if (block.type !== 'tool_result') {
        seenOther = true;
        return;
      }
      if (seenOther) refuse(`messages.${i}.content.${j}: tool_result blocks must come before any other content in a user turn`);
      if (!known.has(String(block.tool_use_id))) {
        refuse(
          `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(block.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
        );
      }
    });
  });

  return {
    model: String(body.model),
    maxTokens: Number(body.max_tokens),
    stream: body.stream === true,
    turns,
    systemText,
    tools,
    toolChoice,
    stopSequences: stopSequences as string[],
  };
}

function blockText(block: Json): string {
  if (block.type === 'text') return String(block.text);
  if (block.type === 'tool_use') return `${String(block.name)} ${JSON.stringify(block.input)}`;
  if (block.type === 'tool_result') {
    if (typeof block.content === 'string') return block.content;
    if (Array.isArray(block.content))
      return block.content.map((inner) => (isRecord(inner) && inner.type === 'text' ? String(inner.text) : '')).join('\n');
  }
  if (block.type === 'thinking') return String(block.thinking);
  return '';
}

/** The input tokens the mock counts for a request (before the cache split). */
export function anthropicMockInputTokens(request: CheckedRequest): number {
  const texts = [
    request.systemText,
    ...request.turns.flatMap((turn) => turn.blocks.map(blockText)),
    ...request.tools.map((tool) => JSON.stringify(tool)),
  ];
  return countTextTokens(texts.filter((text) => text !== '').join('\n'));
}

interface PlannedReply {
  blocks: ({ type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Json })[];
  stopReason: 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence';
  stopSequence: string | null;
  outputTokens: number;
}

function planReply(request: CheckedRequest, sequence: number, options: AnthropicMockOptions): PlannedReply {
  const lastUser = [...request.turns].reverse().find((turn) => turn.role === 'user');
  const userBlocks = lastUser?.blocks ?? [];
  const results = userBlocks.filter((block) => block.type === 'tool_result');
  const userText = userBlocks
    .filter((block) => block.type === 'text')
    .map((block) => String(block.text))
    .join(' ');
  if (results.length > 0) {
    const text = `Tool said: ${results.map(blockText).join('; ')}.`;
    return { blocks: [{ type: 'text', text }], stopReason: 'end_turn', stopSequence: null, outputTokens: countTextTokens(text) };
  }
  const choice = request.toolChoice;
  if (request.tools.length > 0 && choice?.type !== 'none') {
    const named =
      choice?.type === 'tool'
        ? request.tools.find((tool) => tool.name === choice.name)
        : (request.tools.find((tool) => userText.includes(String(tool.name))) ?? (choice?.type === 'any' ? request.tools[0] : undefined));
    if (named) {
      const name = String(named.name);
      const input = options.toolInput?.(name, userText) ?? { query: userText };
      const preface = `Let me call ${name}.`;
      return {
        blocks: [
          { type: 'text', text: preface },
          { type: 'tool_use', id: `toolu_mock_${sequence}`, name, input },
        ],
        stopReason: 'tool_use',
        stopSequence: null,
        outputTokens: countTextTokens(preface) + countTextTokens(JSON.stringify(input)),
      };
    }
  }
  const images = userBlocks.filter((block) => block.type === 'image').length;
  let text = `You said: ${userText}. ${images > 0 ? `I see ${images} image(s). ` : ''}${ANTHROPIC_MOCK_SUFFIX}`;
  let stopReason: PlannedReply['stopReason'] = 'end_turn';
  let stopSequence: string | null = null;
  for (const sequenceText of request.stopSequences) {
    const at = text.indexOf(sequenceText);
    if (at >= 0) {
      text = text.slice(0, at);
      stopReason = 'stop_sequence';
      stopSequence = sequenceText;
    }
  }
  const cut = truncateToTokens(text, request.maxTokens);
  if (cut.text !== text) {
    text = cut.text;
    stopReason = 'max_tokens';
    stopSequence = null;
  }
  return { blocks: [{ type: 'text', text }], stopReason, stopSequence, outputTokens: cut.tokens };
}

/** A JSON text split in three, the way Claude streams tool input (partial, not necessarily valid, pieces). */
function jsonPieces(json: string): string[] {
  const third = Math.max(1, Math.ceil(json.length / 3));
  const pieces: string[] = [];
  for (let i = 0; i < json.length; i += third) pieces.push(json.slice(i, i + third));
  return pieces;
}

async function readBody(req: IncomingMessage): Promise<string> {
  let text = '';
  req.setEncoding('utf8');
  for await (const part of req) text += part;
  return text;
}

export async function startAnthropicMock(options: AnthropicMockOptions = {}): Promise<AnthropicMock> {
  const apiKey = options.apiKey ?? ANTHROPIC_MOCK_KEY;
  const requests: AnthropicMockRequest[] = [];
  const rejections: AnthropicMock['rejections'] = [];
  let cache = { read: 0, creation: 0 };
  let sequence = 0;

  const sendError = (res: ServerResponse, status: number, type: string, message: string): void => {
    const text = JSON.stringify({ type: 'error', error: { type, message } });
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'request-id': `req_mock_${sequence}`,
    });
    res.end(text);
  };
  const pause = (ms: number): Promise<void> => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || path !== '/v1/messages') return sendError(res, 404, 'not_found_error', `Not found: ${req.method} ${path}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return sendError(res, 400, 'invalid_request_error', 'body: invalid JSON');
    }
    let request: CheckedRequest;
    try {
      request = checkAnthropicRequest(req.headers, body, apiKey);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      rejections.push({ status: error.status, message: error.message });
      return sendError(res, error.status, error.errorType, error.message);
    }
    requests.push({ headers: req.headers, body: body as Json });
    sequence++;
    if (request.model === 'claude-529') return sendError(res, 529, 'overloaded_error', 'Overloaded');

    const reply = planReply(request, sequence, options);
    const total = anthropicMockInputTokens(request);
    const read = Math.min(cache.read, total);
    const creation = Math.min(cache.creation, total - read);
    const inputUsage = { input_tokens: total - read - creation, cache_creation_input_tokens: creation, cache_read_input_tokens: read };
    const id = `msg_mock_${sequence}`;

    if (!request.stream) {
      const message = {
        id,
        type: 'message',
        role: 'assistant',
        model: request.model,
        content: reply.blocks,
        stop_reason: reply.stopReason,
        stop_sequence: reply.stopSequence,
        usage: { ...inputUsage, output_tokens: reply.outputTokens },
      };
      const json = JSON.stringify(message);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
      res.end(json);
      return;
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.flushHeaders();
    const send = async (event: string, data: Json): Promise<boolean> => {
      if (res.destroyed) return false;
      res.write(`event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`);
      await pause(options.chunkDelayMs ?? 0);
      return !res.destroyed;
    };
    await send('message_start', {
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model: request.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...inputUsage, output_tokens: 1 },
      },
    });
    let deltas = 0;
    for (const [index, block] of reply.blocks.entries()) {
      if (block.type === 'text') {
        await send('content_block_start', { index, content_block: { type: 'text', text: '' } });
        if (index === 0) await send('ping', {});
        for (const piece of block.text.split(/(?<=\s)(?=\S)/)) {
          if (deltas === 1 && request.model === 'claude-stream-error') {
            await send('error', { error: { type: 'overloaded_error', message: 'Overloaded' } });
            res.end();
            return;
          }
          if (deltas === 2 && request.model === 'claude-cut') {
            await pause(30);
            req.socket.destroy();
            return;
          }
          if (!(await send('content_block_delta', { index, delta: { type: 'text_delta', text: piece } }))) return;
          deltas++;
        }
      } else {
        await send('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
        await send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: '' } });
        for (const piece of jsonPieces(JSON.stringify(block.input))) {
          if (!(await send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } }))) return;
        }
      }
      await send('content_block_stop', { index });
    }
    await send('message_delta', {
      delta: { stop_reason: reply.stopReason, stop_sequence: reply.stopSequence },
      usage: { output_tokens: reply.outputTokens },
    });
    await send('message_stop', {});
    res.end();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'api_error', String(error));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    rejections,
    setCache(next) {
      cache = { ...next };
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
