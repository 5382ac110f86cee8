// OpenAI's legacy text completion (`/v1/completions`) ⇄ a chat call (issue 14 part 2). The prompt
// becomes one user message of a chat request on a model with `chat`, for every provider kind: an
// OpenAI-compatible upstream gets that chat body too, not its own /completions (which most chat
// models no longer serve), so the answer is the chat model's reply to the prompt rather than a raw
// continuation. The reply goes back in the text_completion shape, JSON or streamed, billed as chat.
import { AppError } from '../../core/errors.js';
import type { ChatResult, FinishReason, StreamEvent, Usage } from '../types.js';
import { toOpenAiUsage } from './openai-chat.js';

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(field: string, reason: string): AppError {
  return new AppError('INVALID_REQUEST', { message: 'CHAT_REQUEST_INVALID', params: { field, reason }, details: { field } });
}

/** Sampling fields that mean the same in both shapes, copied to the chat body as they are. */
const SHARED_FIELDS = [
  'max_tokens',
  'temperature',
  'top_p',
  'n',
  'stop',
  'presence_penalty',
  'frequency_penalty',
  'seed',
  'user',
  'stream',
  'stream_options',
  'logit_bias',
] as const;

export interface OpenAiCompletionsCall {
  /** The equivalent Chat Completions body (parse it with parseOpenAiChatRequest). */
  chatBody: Json;
  prompt: string;
  echo: boolean;
}

/**
 * Validates a `/v1/completions` body and builds its chat equivalent. One prompt per request (a
 * string, or an array holding one string); token-array prompts, `suffix`, `logprobs` and
 * `best_of` > 1 have no chat equivalent and are refused with a 400 naming the field.
 */
export function parseOpenAiCompletionsRequest(body: unknown): OpenAiCompletionsCall {
  if (!isRecord(body)) throw invalid('body', 'must be a JSON object');
  let prompt: string;
  if (typeof body.prompt === 'string') prompt = body.prompt;
  else if (Array.isArray(body.prompt) && body.prompt.length === 1 && typeof body.prompt[0] === 'string') prompt = body.prompt[0];
  else if (Array.isArray(body.prompt) && body.prompt.length > 1 && body.prompt.every((p) => typeof p === 'string')) {
    throw invalid('prompt', 'send one prompt per request (use n for several completions of it)');
  } else if (Array.isArray(body.prompt) && body.prompt.length > 0 && body.prompt.every((p) => typeof p === 'number' || Array.isArray(p))) {
    throw invalid('prompt', 'token arrays are not supported; send the prompt as text');
  } else throw invalid('prompt', 'must be a string');
  if (prompt.length === 0) throw invalid('prompt', 'must not be empty');
  if (body.suffix !== undefined && body.suffix !== null) throw invalid('suffix', 'is not supported');
  if (body.logprobs !== undefined && body.logprobs !== null) throw invalid('logprobs', 'is not supported');
  if (body.best_of !== undefined && body.best_of !== null && body.best_of !== 1) throw invalid('best_of', 'only 1 is supported');
  if (body.echo !== undefined && body.echo !== null && typeof body.echo !== 'boolean') throw invalid('echo', 'must be a boolean');
  const chatBody: Json = { model: body.model, messages: [{ role: 'user', content: prompt }] };
  for (const field of SHARED_FIELDS) if (body[field] !== undefined && body[field] !== null) chatBody[field] = body[field];
  return { chatBody, prompt, echo: body.echo === true };
}

/** Legacy completions have no `tool_calls` finish reason; anything but length/content_filter is a stop. */
function legacyFinish(reason: FinishReason | null): string {
  return reason === 'length' || reason === 'content_filter' ? reason : 'stop';
}

export function toOpenAiTextCompletion(result: ChatResult, call: { model: string; prompt: string; echo: boolean }, usage: Usage): Json {
  return {
    id: `cmpl-${result.id.replace(/^chatcmpl-/, '')}`,
    object: 'text_completion',
    created: result.created,
    model: call.model,
    choices: result.choices.map((choice) => ({
      text: call.echo ? call.prompt + choice.text : choice.text,
      index: choice.index,
      logprobs: null,
      finish_reason: legacyFinish(choice.finishReason),
    })),
    usage: toOpenAiUsage(usage),
  };
}

/** Streamed text_completion chunks, one per text event. */
export class TextCompletionChunkWriter {
  readonly #echoed = new Set<number>();

  constructor(
    private readonly id: string,
    private readonly created: number,
    private readonly call: { model: string; prompt: string; echo: boolean },
  ) {}

  #chunk(choices: Json[], usage?: Usage): string {
    const chunk: Json = { id: this.id, object: 'text_completion', created: this.created, model: this.call.model, choices };
    if (usage) chunk.usage = toOpenAiUsage(usage);
    return JSON.stringify(chunk);
  }

  /** The JSON payloads this event produces (none for events the legacy shape cannot carry). */
  write(event: StreamEvent, includeUsage: boolean): string[] {
    const out: string[] = [];
    if ((event.type === 'text' || event.type === 'finish') && this.call.echo && !this.#echoed.has(event.index)) {
      this.#echoed.add(event.index);
      out.push(this.#chunk([{ text: this.call.prompt, index: event.index, logprobs: null, finish_reason: null }]));
    }
    if (event.type === 'text') out.push(this.#chunk([{ text: event.text, index: event.index, logprobs: null, finish_reason: null }]));
    else if (event.type === 'finish') {
      out.push(this.#chunk([{ text: '', index: event.index, logprobs: null, finish_reason: legacyFinish(event.reason) }]));
    } else if (event.type === 'usage' && includeUsage) out.push(this.#chunk([], event.usage));
    return out;
  }
}
