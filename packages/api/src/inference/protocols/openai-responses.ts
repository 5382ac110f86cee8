// The OpenAI Responses API (POST /v1/responses) ⇄ the internal request, answer and stream events:
// the subset clients use (the Vercel AI SDK's default `openai(model)`, the `openai` client's
// `responses.create`). Nothing is stored: a response can never be referenced later, so
// `previous_response_id` and `item_reference` items are refused with a 400 saying so, and every
// answer says `store: false`.
import { randomBytes } from 'node:crypto';
import { AppError } from '../../core/errors.js';
import type {
  ChatRequest,
  ChatResult,
  ContentPart,
  FinishReason,
  FunctionTool,
  Message,
  StreamEvent,
  ToolChoice,
  Usage,
} from '../types.js';

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(field: string, reason: string): AppError {
  return new AppError('INVALID_REQUEST', { message: 'RESPONSES_REQUEST_INVALID', params: { field, reason }, details: { field } });
}

function notStored(field: string): AppError {
  return new AppError('INVALID_REQUEST', { message: 'RESPONSES_STORE_UNSUPPORTED', params: { field }, details: { field } });
}

const MAX_ITEMS = 2_000;
const MAX_LIMIT = 1_000_000;

/** Fields read into the internal request or answered; others travel in `extra`. */
const KNOWN_FIELDS = new Set([
  'model',
  'input',
  'instructions',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'max_output_tokens',
  'temperature',
  'top_p',
  'stream',
  'store',
  'previous_response_id',
  'text',
  'reasoning',
  'metadata',
  'user',
  'top_logprobs',
]);

export function newResponseItemId(prefix: 'resp' | 'msg' | 'fc' | 'rs'): string {
  return `${prefix}_${randomBytes(16).toString('hex')}`;
}

const DATA_URL = /^data:([^;,]+)(?:;[^;,]*)*;base64,(.*)$/s;

function imagePart(part: Json, field: string): ContentPart {
  const detail = part.detail === 'low' || part.detail === 'high' || part.detail === 'auto' ? part.detail : undefined;
  if (typeof part.image_url === 'string') {
    const inline = DATA_URL.exec(part.image_url);
    const source = inline
      ? { kind: 'base64' as const, mediaType: inline[1]!, data: inline[2]! }
      : { kind: 'url' as const, url: part.image_url };
    return { type: 'image', source, ...(detail ? { detail } : {}) };
  }
  if (typeof part.file_id === 'string')
    throw invalid(field, 'input_image by file_id is not supported (this platform stores no files for it); send image_url');
  throw invalid(`${field}.image_url`, 'is required');
}

function filePart(part: Json, field: string): ContentPart {
  const filename = typeof part.filename === 'string' ? { filename: part.filename } : {};
  if (typeof part.file_data === 'string') {
    const inline = DATA_URL.exec(part.file_data);
    if (!inline) throw invalid(`${field}.file_data`, 'must be a base64 data: URL');
    return { type: 'file', source: { kind: 'base64', mediaType: inline[1]!, data: inline[2]! }, ...filename };
  }
  if (typeof part.file_url === 'string') return { type: 'file', source: { kind: 'url', url: part.file_url }, ...filename };
  if (typeof part.file_id === 'string') return { type: 'file', source: { kind: 'file_id', fileId: part.file_id }, ...filename };
  throw invalid(field, 'needs file_data, file_url or file_id');
}

function contentParts(content: unknown, field: string): { parts: ContentPart[]; refusal?: string } {
  if (typeof content === 'string') return { parts: [{ type: 'text', text: content }] };
  if (!Array.isArray(content)) throw invalid(field, 'must be a string or an array of content parts');
  const parts: ContentPart[] = [];
  let refusal: string | undefined;
  content.forEach((part, index) => {
    const at = `${field}[${index}]`;
    if (!isRecord(part)) throw invalid(at, 'must be an object');
    switch (part.type) {
      case 'input_text':
      case 'output_text':
        if (typeof part.text !== 'string') throw invalid(`${at}.text`, 'must be a string');
        parts.push({ type: 'text', text: part.text });
        return;
      case 'input_image':
        parts.push(imagePart(part, at));
        return;
      case 'input_file':
        parts.push(filePart(part, at));
        return;
      case 'refusal':
        if (typeof part.refusal === 'string') refusal = (refusal ?? '') + part.refusal;
        return;
      default:
        throw invalid(`${at}.type`, `"${String(part.type)}" is not a supported content part`);
    }
  });
  return refusal === undefined ? { parts } : { parts, refusal };
}

function parseInput(input: unknown, instructions: string | undefined): Message[] {
  const messages: Message[] = [];
  if (instructions) messages.push({ role: 'system', content: [{ type: 'text', text: instructions }] });
  if (typeof input === 'string') {
    messages.push({ role: 'user', content: [{ type: 'text', text: input }] });
    return messages;
  }
  if (!Array.isArray(input) || input.length === 0 || input.length > MAX_ITEMS)
    throw invalid('input', `must be a string or 1..${MAX_ITEMS} items`);
  input.forEach((item, index) => {
    const field = `input[${index}]`;
    if (!isRecord(item)) throw invalid(field, 'must be an object');
    const type = item.type ?? 'message';
    switch (type) {
      case 'message': {
        const role = item.role;
        if (role !== 'user' && role !== 'assistant' && role !== 'system' && role !== 'developer') {
          throw invalid(`${field}.role`, 'must be user, assistant, system or developer');
        }
        const { parts, refusal } = contentParts(item.content, `${field}.content`);
        messages.push({ role, content: parts, ...(refusal !== undefined ? { refusal } : {}) });
        return;
      }
      case 'function_call': {
        if (typeof item.call_id !== 'string' || typeof item.name !== 'string' || typeof item.arguments !== 'string') {
          throw invalid(field, 'a function_call needs call_id, name and arguments strings');
        }
        const call = { id: item.call_id, name: item.name, arguments: item.arguments };
        // Calls that follow an assistant message (or each other) belong to that one assistant turn.
        const last = messages[messages.length - 1];
        if (last?.role === 'assistant') last.toolCalls = [...(last.toolCalls ?? []), call];
        else messages.push({ role: 'assistant', content: null, toolCalls: [call] });
        return;
      }
      case 'function_call_output': {
        if (typeof item.call_id !== 'string') throw invalid(`${field}.call_id`, 'must be a string');
        const { parts } = contentParts(item.output, `${field}.output`);
        messages.push({ role: 'tool', toolCallId: item.call_id, content: parts });
        return;
      }
      case 'reasoning':
        // A previous answer's reasoning: provider state that only the provider that wrote it can use
        // (encrypted), and no upstream needs it to continue the conversation.
        return;
      case 'item_reference':
        throw notStored(`${field}`);
      default:
        throw invalid(`${field}.type`, `"${typeof type === 'string' ? type : JSON.stringify(type)}" is not a supported input item`);
    }
  });
  return messages;
}

function parseTools(tools: unknown): FunctionTool[] {
  if (!Array.isArray(tools)) throw invalid('tools', 'must be an array');
  return tools.map((tool, index) => {
    const field = `tools[${index}]`;
    if (!isRecord(tool) || tool.type !== 'function') throw invalid(`${field}.type`, 'only function tools are supported');
    if (typeof tool.name !== 'string' || tool.name === '') throw invalid(`${field}.name`, 'must be a string');
    const out: FunctionTool = { name: tool.name };
    if (typeof tool.description === 'string') out.description = tool.description;
    if (isRecord(tool.parameters)) out.parameters = tool.parameters;
    if (typeof tool.strict === 'boolean') out.strict = tool.strict;
    return out;
  });
}

function parseToolChoice(choice: unknown): ToolChoice {
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  if (isRecord(choice) && choice.type === 'function' && typeof choice.name === 'string') return { name: choice.name };
  throw invalid('tool_choice', 'must be auto, none, required or {type: "function", name}');
}

function numberIn(body: Json, key: string, min: number, max: number): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max)
    throw invalid(key, `must be a number in ${min}..${max}`);
  return value;
}

export interface OpenAiResponsesCall {
  model: string;
  stream: boolean;
  request: ChatRequest;
  /** Request fields echoed in the response object, as OpenAI does. */
  echo: Json;
}

/** A /v1/responses body as the internal request; a malformed field is a 400 naming it. */
export function parseOpenAiResponsesRequest(body: unknown): OpenAiResponsesCall {
  if (!isRecord(body)) throw invalid('body', 'must be a JSON object');
  const model = body.model;
  if (typeof model !== 'string' || model.length === 0 || model.length > 200) throw invalid('model', 'must be a model name');
  if (body.previous_response_id !== undefined && body.previous_response_id !== null) throw notStored('previous_response_id');
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') throw invalid('stream', 'must be a boolean');
  if (body.instructions !== undefined && body.instructions !== null && typeof body.instructions !== 'string') {
    throw invalid('instructions', 'must be a string');
  }
  const instructions = typeof body.instructions === 'string' ? body.instructions : undefined;
  const request: ChatRequest = { messages: parseInput(body.input, instructions) };
  if (body.tools !== undefined && body.tools !== null) {
    const tools = parseTools(body.tools);
    if (tools.length > 0) request.tools = tools;
  }
  if (body.tool_choice !== undefined && body.tool_choice !== null) request.toolChoice = parseToolChoice(body.tool_choice);
  if (typeof body.parallel_tool_calls === 'boolean') request.parallelToolCalls = body.parallel_tool_calls;
  const limit = body.max_output_tokens;
  if (limit !== undefined && limit !== null) {
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      throw invalid('max_output_tokens', `must be an integer in 1..${MAX_LIMIT}`);
    }
    request.maxOutputTokens = limit;
  }
  const temperature = numberIn(body, 'temperature', 0, 2);
  if (temperature !== undefined) request.temperature = temperature;
  const topP = numberIn(body, 'top_p', 0, 1);
  if (topP !== undefined) request.topP = topP;
  const topLogprobs = numberIn(body, 'top_logprobs', 0, 20);
  if (topLogprobs !== undefined && topLogprobs > 0) {
    request.logprobs = true;
    request.topLogprobs = topLogprobs;
  }
  const format = isRecord(body.text) ? body.text.format : undefined;
  if (isRecord(format)) {
    if (format.type === 'json_object') request.responseFormat = { type: 'json_object' };
    else if (format.type === 'json_schema') {
      if (!isRecord(format.schema)) throw invalid('text.format.schema', 'must be a JSON Schema object');
      const { type: _type, ...jsonSchema } = format;
      request.responseFormat = { type: 'json_schema', json_schema: jsonSchema };
    } else if (format.type !== 'text') throw invalid('text.format.type', 'must be text, json_object or json_schema');
  }
  if (isRecord(body.reasoning) && typeof body.reasoning.effort === 'string') request.reasoningEffort = body.reasoning.effort;
  if (typeof body.user === 'string') request.user = body.user;
  if (isRecord(body.metadata)) request.metadata = body.metadata as Record<string, string>;
  const extra: Json = {};
  for (const key of Object.keys(body)) if (!KNOWN_FIELDS.has(key)) extra[key] = body[key];
  if (Object.keys(extra).length > 0) request.extra = { protocol: 'openai-responses', fields: extra };

  const echo: Json = {
    instructions: instructions ?? null,
    max_output_tokens: request.maxOutputTokens ?? null,
    parallel_tool_calls: request.parallelToolCalls ?? true,
    temperature: request.temperature ?? null,
    top_p: request.topP ?? null,
    tool_choice: body.tool_choice ?? 'auto',
    tools: Array.isArray(body.tools) ? body.tools : [],
    text: isRecord(body.text) && isRecord(body.text.format) ? { format: body.text.format } : { format: { type: 'text' } },
    reasoning: isRecord(body.reasoning)
      ? { effort: body.reasoning.effort ?? null, summary: body.reasoning.summary ?? null }
      : { effort: null, summary: null },
    metadata: isRecord(body.metadata) ? body.metadata : {},
    user: request.user ?? null,
  };
  return { model, stream: body.stream === true, request, echo };
}

// ---------------------------------------------------------------------------
// internal → Responses wire

/** Usage in the Responses API's words. */
export function toResponsesUsage(usage: Usage): Json {
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: { cached_tokens: usage.cachedInputTokens },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens },
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
}

function incompleteDetails(reason: FinishReason | null): Json | null {
  if (reason === 'length') return { reason: 'max_output_tokens' };
  if (reason === 'content_filter') return { reason: 'content_filter' };
  return null;
}

/** The response object's envelope, around `output`. */
export function responseObject(
  id: string,
  createdAt: number,
  model: string,
  echo: Json,
  state: {
    status: 'in_progress' | 'completed' | 'incomplete' | 'failed';
    output: Json[];
    usage: Usage | null;
    finishReason: FinishReason | null;
  },
): Json {
  return {
    id,
    object: 'response',
    created_at: createdAt,
    status: state.status,
    error: null,
    incomplete_details: state.status === 'incomplete' ? incompleteDetails(state.finishReason) : null,
    model,
    output: state.output,
    previous_response_id: null,
    store: false,
    truncation: 'disabled',
    ...echo,
    usage: state.usage ? toResponsesUsage(state.usage) : null,
  };
}

function statusOf(reason: FinishReason | null): 'completed' | 'incomplete' {
  return reason === 'length' || reason === 'content_filter' ? 'incomplete' : 'completed';
}

function messageItem(id: string, text: string, refusal: string | undefined, status: 'in_progress' | 'completed'): Json {
  const content: Json[] = [];
  if (text !== '' || refusal === undefined) content.push({ type: 'output_text', text, annotations: [], logprobs: [] });
  if (refusal !== undefined) content.push({ type: 'refusal', refusal });
  return { type: 'message', id, status, role: 'assistant', content };
}

/** A whole answer as a Responses `response` object; `usage` is what was billed. */
export function toResponsesObject(result: ChatResult, model: string, echo: Json, usage: Usage): Json {
  const choice = result.choices[0];
  const output: Json[] = [];
  if (choice) {
    for (const reasoning of choice.reasoning ?? []) {
      output.push({ type: 'reasoning', id: newResponseItemId('rs'), summary: [{ type: 'summary_text', text: reasoning.text }] });
    }
    if (choice.text !== '' || choice.refusal !== undefined || choice.toolCalls.length === 0) {
      output.push(messageItem(newResponseItemId('msg'), choice.text, choice.refusal, 'completed'));
    }
    for (const call of choice.toolCalls) {
      output.push({
        type: 'function_call',
        id: newResponseItemId('fc'),
        call_id: call.id,
        name: call.name,
        arguments: call.arguments,
        status: 'completed',
      });
    }
  }
  const finishReason = choice?.finishReason ?? null;
  return responseObject(newResponseItemId('resp'), result.created, model, echo, {
    status: statusOf(finishReason),
    output,
    usage,
    finishReason,
  });
}

interface OpenText {
  kind: 'message';
  outputIndex: number;
  id: string;
  text: string;
}

interface OpenCall {
  kind: 'function_call';
  outputIndex: number;
  id: string;
  callId: string;
  name: string;
  arguments: string;
}

/**
 * Stream events → the Responses streaming events the official clients parse, each numbered with
 * `sequence_number`: response.created, response.in_progress, then per output item
 * output_item.added / content_part.added / output_text.delta… / output_text.done /
 * content_part.done / output_item.done (function calls: function_call_arguments.delta… / .done),
 * and response.completed (or response.incomplete) carrying usage.
 */
export class ResponsesStreamWriter {
  private sequence = 0;
  private readonly output: Json[] = [];
  private text: OpenText | null = null;
  private readonly calls = new Map<number, OpenCall>();
  private finishReason: FinishReason | null = null;
  readonly id = newResponseItemId('resp');
  private readonly createdAt = Math.floor(Date.now() / 1000);

  constructor(
    private readonly model: string,
    private readonly echo: Json,
  ) {}

  private event(type: string, fields: Json): Json {
    return { type, sequence_number: this.sequence++, ...fields };
  }

  private envelope(status: 'in_progress' | 'completed' | 'incomplete' | 'failed', usage: Usage | null): Json {
    return responseObject(this.id, this.createdAt, this.model, this.echo, {
      status,
      output: this.output.filter(Boolean),
      usage,
      finishReason: this.finishReason,
    });
  }

  start(): Json[] {
    const response = this.envelope('in_progress', null);
    return [this.event('response.created', { response }), this.event('response.in_progress', { response })];
  }

  private closeText(): Json[] {
    const open = this.text;
    if (!open) return [];
    this.text = null;
    const part = { type: 'output_text', text: open.text, annotations: [], logprobs: [] };
    const item = messageItem(open.id, open.text, undefined, 'completed');
    this.output[open.outputIndex] = item;
    return [
      this.event('response.output_text.done', {
        item_id: open.id,
        output_index: open.outputIndex,
        content_index: 0,
        text: open.text,
        logprobs: [],
      }),
      this.event('response.content_part.done', { item_id: open.id, output_index: open.outputIndex, content_index: 0, part }),
      this.event('response.output_item.done', { output_index: open.outputIndex, item }),
    ];
  }

  private closeCall(toolIndex: number): Json[] {
    const open = this.calls.get(toolIndex);
    if (!open) return [];
    this.calls.delete(toolIndex);
    const item = {
      type: 'function_call',
      id: open.id,
      call_id: open.callId,
      name: open.name,
      arguments: open.arguments,
      status: 'completed',
    };
    this.output[open.outputIndex] = item;
    return [
      this.event('response.function_call_arguments.done', {
        item_id: open.id,
        output_index: open.outputIndex,
        name: open.name,
        arguments: open.arguments,
      }),
      this.event('response.output_item.done', { output_index: open.outputIndex, item }),
    ];
  }

  /** The wire events for one internal event (choice 0 only: the Responses API has one output). */
  write(event: StreamEvent): Json[] {
    if ('index' in event && event.index !== 0) return [];
    switch (event.type) {
      case 'text': {
        const out: Json[] = [];
        if (!this.text) {
          const id = newResponseItemId('msg');
          const outputIndex = this.output.length;
          this.text = { kind: 'message', outputIndex, id, text: '' };
          const item = { type: 'message', id, status: 'in_progress', role: 'assistant', content: [] };
          this.output.push(item);
          out.push(this.event('response.output_item.added', { output_index: outputIndex, item }));
          out.push(
            this.event('response.content_part.added', {
              item_id: id,
              output_index: outputIndex,
              content_index: 0,
              part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
            }),
          );
        }
        this.text.text += event.text;
        out.push(
          this.event('response.output_text.delta', {
            item_id: this.text.id,
            output_index: this.text.outputIndex,
            content_index: 0,
            delta: event.text,
            logprobs: [],
          }),
        );
        return out;
      }
      case 'tool-call-start': {
        const out = this.closeText();
        out.push(...this.closeCall(event.toolIndex));
        const id = newResponseItemId('fc');
        const outputIndex = this.output.length;
        const open: OpenCall = { kind: 'function_call', outputIndex, id, callId: event.id, name: event.name, arguments: '' };
        this.calls.set(event.toolIndex, open);
        const item = { type: 'function_call', id, call_id: event.id, name: event.name, arguments: '', status: 'in_progress' };
        this.output.push(item);
        out.push(this.event('response.output_item.added', { output_index: outputIndex, item }));
        return out;
      }
      case 'tool-call-delta': {
        const open = this.calls.get(event.toolIndex);
        if (!open || event.arguments === '') return [];
        open.arguments += event.arguments;
        return [
          this.event('response.function_call_arguments.delta', {
            item_id: open.id,
            output_index: open.outputIndex,
            delta: event.arguments,
          }),
        ];
      }
      case 'finish':
        this.finishReason = event.reason;
        return [];
      default:
        // reasoning, refusal, usage and pass-through chunks: usage arrives with the outcome, the rest has no Responses event here.
        return [];
    }
  }

  /** Closes every open item and ends with response.completed (or .incomplete) carrying the billed usage. */
  finish(usage: Usage): Json[] {
    const out = this.closeText();
    for (const toolIndex of [...this.calls.keys()].sort((a, b) => a - b)) out.push(...this.closeCall(toolIndex));
    const status = statusOf(this.finishReason);
    out.push(this.event(status === 'completed' ? 'response.completed' : 'response.incomplete', { response: this.envelope(status, usage) }));
    return out;
  }

  /** A failure after the stream began: an `error` event, as OpenAI sends. */
  fail(error: { message: string; code: string | null; param: string | null }): Json[] {
    return [this.event('error', { code: error.code, message: error.message, param: error.param })];
  }
}
