// OpenAI Chat Completions ⇄ the internal request, answer and stream events. Pure functions, shared
// by the /v1/chat/completions surface (wire → internal, result → wire) and the openai-compatible
// adapter (internal → wire, wire → result). Nothing here drops a field silently: what has no
// internal equivalent travels in `extra` and is forwarded to an upstream of the same protocol.
import { AppError } from '../../core/errors.js';
import type {
  AdapterChatRequest,
  ChatChoice,
  ChatRequest,
  ChatResult,
  ContentPart,
  FinishReason,
  FunctionTool,
  MaxTokensField,
  Message,
  Role,
  StreamEvent,
  ToolCall,
  ToolChoice,
  Usage,
} from '../types.js';

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(field: string, reason: string): AppError {
  return new AppError('INVALID_REQUEST', { message: 'CHAT_REQUEST_INVALID', params: { field, reason }, details: { field } });
}

const ROLES: readonly Role[] = ['system', 'developer', 'user', 'assistant', 'tool'];
const MAX_MESSAGES = 2_000;
const MAX_LIMIT = 1_000_000;

/** Fields the surface reads into the internal request; any other field goes to `extra` untouched. */
const KNOWN_FIELDS = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'stop',
  'seed',
  'n',
  'frequency_penalty',
  'presence_penalty',
  'response_format',
  'logprobs',
  'top_logprobs',
  'reasoning_effort',
  'user',
  'metadata',
]);

const DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

function parsePart(raw: unknown, field: string): ContentPart | { refusal: string } {
  if (!isRecord(raw) || typeof raw.type !== 'string') throw invalid(field, 'a content part needs a type');
  switch (raw.type) {
    case 'text':
      if (typeof raw.text !== 'string') throw invalid(`${field}.text`, 'must be a string');
      return { type: 'text', text: raw.text };
    case 'image_url': {
      const image = raw.image_url;
      const url = isRecord(image) ? image.url : typeof image === 'string' ? image : undefined;
      if (typeof url !== 'string') throw invalid(`${field}.image_url.url`, 'must be a string');
      const detail =
        isRecord(image) && (image.detail === 'auto' || image.detail === 'low' || image.detail === 'high') ? image.detail : undefined;
      const data = DATA_URL.exec(url);
      const source = data ? { kind: 'base64' as const, mediaType: data[1]!, data: data[2]! } : { kind: 'url' as const, url };
      return detail ? { type: 'image', source, detail } : { type: 'image', source };
    }
    case 'input_audio': {
      const audio = raw.input_audio;
      if (!isRecord(audio) || typeof audio.data !== 'string' || typeof audio.format !== 'string') {
        throw invalid(`${field}.input_audio`, 'needs data and format');
      }
      return { type: 'audio', data: audio.data, format: audio.format };
    }
    case 'file': {
      const file = raw.file;
      if (!isRecord(file)) throw invalid(`${field}.file`, 'must be an object');
      const filename = typeof file.filename === 'string' ? file.filename : undefined;
      if (typeof file.file_id === 'string')
        return { type: 'file', source: { kind: 'file_id', fileId: file.file_id }, ...(filename ? { filename } : {}) };
      if (typeof file.file_data === 'string') {
        const data = DATA_URL.exec(file.file_data);
        const source = data
          ? { kind: 'base64' as const, mediaType: data[1]!, data: data[2]! }
          : { kind: 'base64' as const, mediaType: 'application/octet-stream', data: file.file_data };
        return { type: 'file', source, ...(filename ? { filename } : {}) };
      }
      throw invalid(`${field}.file`, 'needs file_id or file_data');
    }
    case 'refusal':
      if (typeof raw.refusal !== 'string') throw invalid(`${field}.refusal`, 'must be a string');
      return { refusal: raw.refusal };
    default:
      throw invalid(`${field}.type`, `unknown content part type '${raw.type.slice(0, 40)}'`);
  }
}

function parseToolCalls(raw: unknown, field: string): ToolCall[] {
  if (!Array.isArray(raw)) throw invalid(field, 'must be an array');
  return raw.map((call, i) => {
    const f = isRecord(call) ? call.function : undefined;
    if (!isRecord(call) || typeof call.id !== 'string' || !isRecord(f) || typeof f.name !== 'string') {
      throw invalid(`${field}[${i}]`, 'a tool call needs id and function.name');
    }
    return { id: call.id, name: f.name, arguments: typeof f.arguments === 'string' ? f.arguments : JSON.stringify(f.arguments ?? {}) };
  });
}

function parseMessage(raw: unknown, index: number): Message {
  const field = `messages[${index}]`;
  if (!isRecord(raw)) throw invalid(field, 'must be an object');
  const role = raw.role;
  if (typeof role !== 'string' || !ROLES.includes(role as Role))
    throw invalid(`${field}.role`, `unknown role '${String(role).slice(0, 40)}'`);
  const message: Message = { role: role as Role, content: null };
  const content = raw.content;
  if (typeof content === 'string') message.content = [{ type: 'text', text: content }];
  else if (Array.isArray(content)) {
    const parts: ContentPart[] = [];
    content.forEach((part, i) => {
      const parsed = parsePart(part, `${field}.content[${i}]`);
      if ('refusal' in parsed) message.refusal = parsed.refusal;
      else parts.push(parsed);
    });
    message.content = parts;
  } else if (content !== null && content !== undefined) throw invalid(`${field}.content`, 'must be a string, an array of parts or null');
  if (typeof raw.name === 'string') message.name = raw.name;
  if (raw.tool_calls !== undefined && raw.tool_calls !== null) message.toolCalls = parseToolCalls(raw.tool_calls, `${field}.tool_calls`);
  if (typeof raw.tool_call_id === 'string') message.toolCallId = raw.tool_call_id;
  if (typeof raw.refusal === 'string') message.refusal = raw.refusal;
  return message;
}

function parseTools(raw: unknown): FunctionTool[] {
  if (!Array.isArray(raw)) throw invalid('tools', 'must be an array');
  return raw.map((tool, i) => {
    const f = isRecord(tool) ? tool.function : undefined;
    if (!isRecord(tool) || tool.type !== 'function' || !isRecord(f) || typeof f.name !== 'string') {
      throw invalid(`tools[${i}]`, "only tools of type 'function' with a name are supported");
    }
    const out: FunctionTool = { name: f.name };
    if (typeof f.description === 'string') out.description = f.description;
    if (isRecord(f.parameters)) out.parameters = f.parameters;
    if (typeof f.strict === 'boolean') out.strict = f.strict;
    return out;
  });
}

function parseToolChoice(raw: unknown): ToolChoice {
  if (raw === 'auto' || raw === 'none' || raw === 'required') return raw;
  if (isRecord(raw) && isRecord(raw.function) && typeof raw.function.name === 'string') return { name: raw.function.name };
  throw invalid('tool_choice', "must be 'auto', 'none', 'required' or a function");
}

function positiveInt(body: Json, key: string, max = MAX_LIMIT): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > max)
    throw invalid(key, `must be an integer in 1..${max}`);
  return value;
}

function numberIn(body: Json, key: string, min: number, max: number): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max)
    throw invalid(key, `must be a number in ${min}..${max}`);
  return value;
}

export interface OpenAiChatCall {
  model: string;
  stream: boolean;
  /** Whether the client asked for the usage chunk (stream_options.include_usage). */
  includeUsage: boolean;
  request: ChatRequest;
}

/** A /v1/chat/completions body as the internal request; a malformed field is a 400 naming it. */
export function parseOpenAiChatRequest(body: unknown): OpenAiChatCall {
  if (!isRecord(body)) throw invalid('body', 'must be a JSON object');
  const model = body.model;
  if (typeof model !== 'string' || model.length === 0 || model.length > 200) throw invalid('model', 'must be a model name');
  const rawMessages = body.messages;
  if (!Array.isArray(rawMessages) || rawMessages.length === 0 || rawMessages.length > MAX_MESSAGES) {
    throw invalid('messages', `must be an array of 1..${MAX_MESSAGES} messages`);
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') throw invalid('stream', 'must be a boolean');
  const streamOptions = body.stream_options;
  if (streamOptions !== undefined && streamOptions !== null && !isRecord(streamOptions))
    throw invalid('stream_options', 'must be an object');

  const request: ChatRequest = { messages: rawMessages.map(parseMessage) };
  if (body.tools !== undefined && body.tools !== null) request.tools = parseTools(body.tools);
  if (body.tool_choice !== undefined && body.tool_choice !== null) request.toolChoice = parseToolChoice(body.tool_choice);
  if (typeof body.parallel_tool_calls === 'boolean') request.parallelToolCalls = body.parallel_tool_calls;
  const maxCompletion = positiveInt(body, 'max_completion_tokens');
  const maxTokens = positiveInt(body, 'max_tokens');
  if (maxCompletion !== undefined) {
    request.maxOutputTokens = maxCompletion;
    request.maxTokensField = 'max_completion_tokens';
  } else if (maxTokens !== undefined) {
    request.maxOutputTokens = maxTokens;
    request.maxTokensField = 'max_tokens';
  }
  const temperature = numberIn(body, 'temperature', 0, 2);
  if (temperature !== undefined) request.temperature = temperature;
  const topP = numberIn(body, 'top_p', 0, 1);
  if (topP !== undefined) request.topP = topP;
  const frequency = numberIn(body, 'frequency_penalty', -2, 2);
  if (frequency !== undefined) request.frequencyPenalty = frequency;
  const presence = numberIn(body, 'presence_penalty', -2, 2);
  if (presence !== undefined) request.presencePenalty = presence;
  if (typeof body.stop === 'string') request.stop = [body.stop];
  else if (Array.isArray(body.stop) && body.stop.every((s) => typeof s === 'string')) request.stop = body.stop;
  if (typeof body.seed === 'number' && Number.isInteger(body.seed)) request.seed = body.seed;
  const n = positiveInt(body, 'n', 128);
  if (n !== undefined) request.n = n;
  if (isRecord(body.response_format) && typeof body.response_format.type === 'string') {
    request.responseFormat = body.response_format as ChatRequest['responseFormat'];
  }
  if (typeof body.logprobs === 'boolean') request.logprobs = body.logprobs;
  if (typeof body.top_logprobs === 'number') request.topLogprobs = body.top_logprobs;
  if (typeof body.reasoning_effort === 'string') request.reasoningEffort = body.reasoning_effort;
  if (typeof body.user === 'string') request.user = body.user;
  if (isRecord(body.metadata)) request.metadata = body.metadata as Record<string, string>;
  const extra: Json = {};
  let hasExtra = false;
  for (const key of Object.keys(body)) {
    if (!KNOWN_FIELDS.has(key)) {
      extra[key] = body[key];
      hasExtra = true;
    }
  }
  if (hasExtra) request.extra = { protocol: 'openai-chat', fields: extra };
  return {
    model,
    stream: body.stream === true,
    includeUsage: isRecord(streamOptions) && streamOptions.include_usage === true,
    request,
  };
}

// ---------------------------------------------------------------------------
// internal → OpenAI wire (the openai-compatible adapter)

function wirePart(part: ContentPart): Json {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'image': {
      const url = part.source.kind === 'url' ? part.source.url : `data:${part.source.mediaType};base64,${part.source.data}`;
      return { type: 'image_url', image_url: part.detail ? { url, detail: part.detail } : { url } };
    }
    case 'audio':
      return { type: 'input_audio', input_audio: { data: part.data, format: part.format } };
    case 'file': {
      const file: Json = {};
      if (part.source.kind === 'file_id') file.file_id = part.source.fileId;
      else if (part.source.kind === 'base64') file.file_data = `data:${part.source.mediaType};base64,${part.source.data}`;
      else file.file_data = part.source.url;
      if (part.filename) file.filename = part.filename;
      return { type: 'file', file };
    }
  }
}

/** A message as OpenAI takes it: a lone plain text part is sent as a string, which every server accepts. */
export function toOpenAiMessage(message: Message): Json {
  const out: Json = { role: message.role };
  const content = message.content;
  if (content === null) out.content = null;
  else if (content.length === 1 && content[0]!.type === 'text') out.content = content[0]!.text;
  else if (content.length === 0) out.content = message.role === 'assistant' && message.toolCalls?.length ? null : '';
  else out.content = content.map(wirePart);
  if (message.name !== undefined) out.name = message.name;
  if (message.toolCalls?.length) {
    out.tool_calls = message.toolCalls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  if (message.toolCallId !== undefined) out.tool_call_id = message.toolCallId;
  if (message.refusal !== undefined) out.refusal = message.refusal;
  return out;
}

function wireToolChoice(choice: ToolChoice): unknown {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

/**
 * The upstream body for an OpenAI-compatible server. Given the client's own OpenAI body it edits
 * only the model, the output limit (added when absent, lowered when over the cap) and
 * stream_options.include_usage; otherwise it builds the body from the internal request.
 */
export function buildOpenAiChatBody(call: AdapterChatRequest, noLimitField: MaxTokensField): Json {
  const cap = call.maxOutputTokens;
  if (call.openAiBody) {
    const body: Json = { ...call.openAiBody, model: call.upstreamModel };
    let limited = false;
    for (const field of ['max_completion_tokens', 'max_tokens'] as const) {
      const value = body[field];
      if (typeof value === 'number') {
        limited = true;
        if (value > cap) body[field] = cap;
      } else if (value === null) delete body[field];
    }
    if (!limited) body[noLimitField] = cap;
    for (const [key, value] of Object.entries(call.defaults)) if (body[key] === undefined || body[key] === null) body[key] = value;
    return withStreamFields(body, call.stream);
  }
  const { request } = call;
  const body: Json = {};
  for (const [key, value] of Object.entries(call.defaults)) body[key] = value;
  if (request.extra?.protocol === 'openai-chat') Object.assign(body, request.extra.fields);
  body.model = call.upstreamModel;
  body.messages = request.messages.map(toOpenAiMessage);
  body[request.maxOutputTokens !== undefined ? (request.maxTokensField ?? 'max_tokens') : noLimitField] = Math.min(
    request.maxOutputTokens ?? cap,
    cap,
  );
  if (request.tools) {
    body.tools = request.tools.map((tool) => {
      const f: Json = { name: tool.name };
      if (tool.description !== undefined) f.description = tool.description;
      if (tool.parameters !== undefined) f.parameters = tool.parameters;
      if (tool.strict !== undefined) f.strict = tool.strict;
      return { type: 'function', function: f };
    });
  }
  if (request.toolChoice !== undefined) body.tool_choice = wireToolChoice(request.toolChoice);
  if (request.parallelToolCalls !== undefined) body.parallel_tool_calls = request.parallelToolCalls;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.stop !== undefined) body.stop = request.stop;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.n !== undefined) body.n = request.n;
  if (request.frequencyPenalty !== undefined) body.frequency_penalty = request.frequencyPenalty;
  if (request.presencePenalty !== undefined) body.presence_penalty = request.presencePenalty;
  if (request.responseFormat !== undefined) body.response_format = request.responseFormat;
  if (request.logprobs !== undefined) body.logprobs = request.logprobs;
  if (request.topLogprobs !== undefined) body.top_logprobs = request.topLogprobs;
  if (request.reasoningEffort !== undefined) body.reasoning_effort = request.reasoningEffort;
  if (request.user !== undefined) body.user = request.user;
  if (request.metadata !== undefined) body.metadata = request.metadata;
  return withStreamFields(body, call.stream);
}

function withStreamFields(body: Json, stream: boolean): Json {
  if (stream) {
    body.stream = true;
    // Usage in the final chunk is what billing relies on, whatever the client asked for.
    body.stream_options = isRecord(body.stream_options) ? { ...body.stream_options, include_usage: true } : { include_usage: true };
  } else {
    // OpenAI rejects stream_options on a non-streaming call.
    delete body.stream_options;
    body.stream = false;
  }
  return body;
}

// ---------------------------------------------------------------------------
// OpenAI wire → internal (answers)

/** Usage in platform terms: cached tokens from prompt_tokens_details, reasoning from completion_tokens_details. */
export function readOpenAiUsage(value: unknown): Usage | null {
  if (!isRecord(value)) return null;
  const { prompt_tokens: input, completion_tokens: output } = value;
  if (typeof input !== 'number' || typeof output !== 'number') return null;
  const prompt = isRecord(value.prompt_tokens_details) ? value.prompt_tokens_details : undefined;
  const completion = isRecord(value.completion_tokens_details) ? value.completion_tokens_details : undefined;
  const cached = typeof prompt?.cached_tokens === 'number' ? prompt.cached_tokens : 0;
  const reasoning = typeof completion?.reasoning_tokens === 'number' ? completion.reasoning_tokens : 0;
  // completion_tokens already includes reasoning tokens in OpenAI's accounting.
  return {
    inputTokens: input,
    outputTokens: output,
    cachedInputTokens: Math.min(cached, input),
    cacheWriteInputTokens: 0,
    reasoningTokens: reasoning,
  };
}

const FINISH_REASONS = new Set<FinishReason>(['stop', 'length', 'tool_calls', 'content_filter', 'error']);

export function finishReason(value: unknown): FinishReason | null {
  if (value === 'function_call') return 'tool_calls';
  return typeof value === 'string' && FINISH_REASONS.has(value as FinishReason)
    ? (value as FinishReason)
    : typeof value === 'string'
      ? 'stop'
      : null;
}

/** A chat.completion body as a ChatResult (the body itself kept for a same-protocol surface), or null if it is not one. */
export function chatResultFromOpenAi(json: unknown): ChatResult | null {
  if (!isRecord(json) || !Array.isArray(json.choices)) return null;
  const choices: ChatChoice[] = json.choices.map((raw, i): ChatChoice => {
    const choice = isRecord(raw) ? raw : {};
    const message = isRecord(choice.message) ? choice.message : {};
    const toolCalls = Array.isArray(message.tool_calls)
      ? message.tool_calls.flatMap((call): ToolCall[] => {
          const f = isRecord(call) ? call.function : undefined;
          if (!isRecord(call) || !isRecord(f)) return [];
          return [
            {
              id: typeof call.id === 'string' ? call.id : '',
              name: typeof f.name === 'string' ? f.name : '',
              arguments: typeof f.arguments === 'string' ? f.arguments : '',
            },
          ];
        })
      : [];
    const out: ChatChoice = {
      index: typeof choice.index === 'number' ? choice.index : i,
      text: typeof message.content === 'string' ? message.content : '',
      toolCalls,
      finishReason: finishReason(choice.finish_reason),
    };
    if (typeof message.refusal === 'string') out.refusal = message.refusal;
    if (choice.logprobs !== undefined && choice.logprobs !== null) out.logprobs = choice.logprobs;
    return out;
  });
  return {
    id: typeof json.id === 'string' ? json.id : '',
    created: typeof json.created === 'number' ? json.created : Math.floor(Date.now() / 1000),
    choices,
    usage: readOpenAiUsage(json.usage),
    openAi: { body: json },
  };
}

/**
 * Reads OpenAI chunks into internal stream events. It keeps track of the tool calls already
 * started, because OpenAI sends a call's id and name once and then argument fragments.
 */
export class OpenAiChunkReader {
  usage: Usage | null = null;
  deliveredText = '';
  finished = false;
  readonly #started = new Set<string>();

  /** Events of one parsed chunk, appended to `out`. */
  read(chunk: Json, out: StreamEvent[]): void {
    if (chunk.usage !== undefined && chunk.usage !== null) {
      const usage = readOpenAiUsage(chunk.usage);
      if (usage) {
        this.usage = usage;
        out.push({ type: 'usage', usage });
      }
    }
    if (!Array.isArray(chunk.choices)) return;
    for (const raw of chunk.choices) {
      if (!isRecord(raw)) continue;
      const index = typeof raw.index === 'number' ? raw.index : 0;
      const delta = isRecord(raw.delta) ? raw.delta : undefined;
      if (delta) {
        if (typeof delta.content === 'string' && delta.content !== '') {
          this.deliveredText += delta.content;
          out.push({ type: 'text', index, text: delta.content });
        }
        if (typeof delta.refusal === 'string' && delta.refusal !== '') out.push({ type: 'refusal', index, text: delta.refusal });
        const reasoning =
          typeof delta.reasoning_content === 'string'
            ? delta.reasoning_content
            : typeof delta.reasoning === 'string'
              ? delta.reasoning
              : '';
        if (reasoning !== '') out.push({ type: 'reasoning', index, text: reasoning });
        if (Array.isArray(delta.tool_calls)) {
          for (const call of delta.tool_calls) {
            if (!isRecord(call)) continue;
            const toolIndex = typeof call.index === 'number' ? call.index : 0;
            const f = isRecord(call.function) ? call.function : {};
            const key = `${index}:${toolIndex}`;
            if (!this.#started.has(key) && (typeof call.id === 'string' || typeof f.name === 'string')) {
              this.#started.add(key);
              out.push({
                type: 'tool-call-start',
                index,
                toolIndex,
                id: typeof call.id === 'string' ? call.id : '',
                name: typeof f.name === 'string' ? f.name : '',
              });
            }
            if (typeof f.arguments === 'string' && f.arguments !== '') {
              this.deliveredText += f.arguments;
              out.push({ type: 'tool-call-delta', index, toolIndex, arguments: f.arguments });
            }
          }
        }
      }
      const reason = finishReason(raw.finish_reason);
      if (reason !== null) {
        this.finished = true;
        out.push({ type: 'finish', index, reason });
      }
    }
  }
}

// ---------------------------------------------------------------------------
// internal → OpenAI wire (the surface's answers)

export function toOpenAiUsage(usage: Usage): Json {
  const out: Json = {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
  if (usage.cachedInputTokens > 0) out.prompt_tokens_details = { cached_tokens: usage.cachedInputTokens };
  if (usage.reasoningTokens > 0) out.completion_tokens_details = { reasoning_tokens: usage.reasoningTokens };
  return out;
}

/**
 * Reasoning text as `reasoning_content`: not OpenAI's own field (it returns none), but the one that
 * DeepSeek, vLLM and OpenRouter send and their clients read. Signature-only parts carry no text.
 */
function reasoningContent(choice: ChatChoice): string | null {
  const text = (choice.reasoning ?? []).map((part) => part.text).join('');
  return text === '' ? null : text;
}

/** A chat.completion body for the client. An upstream OpenAI body is kept as is but for the model name and usage. */
export function toOpenAiCompletion(result: ChatResult, model: string, usage: Usage): Json {
  if (result.openAi) {
    const upstreamUsage = isRecord(result.openAi.body.usage) ? result.openAi.body.usage : {};
    return { ...result.openAi.body, model, usage: { ...upstreamUsage, ...toOpenAiUsage(usage) } };
  }
  return {
    id: result.id.startsWith('chatcmpl') ? result.id : `chatcmpl-${result.id}`,
    object: 'chat.completion',
    created: result.created,
    model,
    choices: result.choices.map((choice) => {
      const message: Json = { role: 'assistant', content: choice.text === '' && choice.toolCalls.length > 0 ? null : choice.text };
      if (choice.toolCalls.length > 0) {
        message.tool_calls = choice.toolCalls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: call.arguments },
        }));
      }
      message.refusal = choice.refusal ?? null;
      const reasoning = reasoningContent(choice);
      if (reasoning !== null) message.reasoning_content = reasoning;
      return { index: choice.index, message, logprobs: choice.logprobs ?? null, finish_reason: choice.finishReason ?? 'stop' };
    }),
    usage: toOpenAiUsage(usage),
  };
}

/** Builds chat.completion.chunk JSON from internal events, for upstreams that do not speak OpenAI. */
export class OpenAiChunkWriter {
  readonly #head: string;
  readonly #roleSent = new Set<number>();

  constructor(id: string, created: number, model: string) {
    this.#head = `{"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},`;
  }

  #chunk(index: number, delta: Json, finish: string | null): string {
    if (!this.#roleSent.has(index)) {
      this.#roleSent.add(index);
      delta = { role: 'assistant', ...delta };
    }
    return `${this.#head}"choices":[{"index":${index},"delta":${JSON.stringify(delta)},"logprobs":null,"finish_reason":${finish === null ? 'null' : JSON.stringify(finish)}}]}`;
  }

  /** The opening chunk (role, empty content), as OpenAI sends it. */
  start(): string {
    return this.#chunk(0, { content: '' }, null);
  }

  /** JSON of the chunk for this event, or null when the event has no OpenAI chunk. */
  write(event: StreamEvent, includeUsage: boolean): string | null {
    switch (event.type) {
      case 'text':
        return this.#chunk(event.index, { content: event.text }, null);
      case 'refusal':
        return this.#chunk(event.index, { refusal: event.text }, null);
      case 'reasoning':
        // `reasoning_content`, as in reasoningContent(); a signature-only event has nothing to show.
        return event.text === '' ? null : this.#chunk(event.index, { reasoning_content: event.text }, null);
      case 'tool-call-start':
        return this.#chunk(
          event.index,
          { tool_calls: [{ index: event.toolIndex, id: event.id, type: 'function', function: { name: event.name, arguments: '' } }] },
          null,
        );
      case 'tool-call-delta':
        return this.#chunk(event.index, { tool_calls: [{ index: event.toolIndex, function: { arguments: event.arguments } }] }, null);
      case 'finish':
        return this.#chunk(event.index, {}, event.reason);
      case 'usage':
        return includeUsage ? `${this.#head}"choices":[],"usage":${JSON.stringify(toOpenAiUsage(event.usage))}}` : null;
      default:
        return null;
    }
  }
}
