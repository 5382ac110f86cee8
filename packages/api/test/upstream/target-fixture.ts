// The upstream tests drive the real adapters (openai-compatible, demo-echo) over real HTTP through
// the new adapter API; these helpers keep each test's call short: an OpenAI-shaped request in, the
// adapter's answer (and, for streams, the passed-through chunks) out.
import type { ProviderTarget } from '../../src/inference/adapter.js';
import { UpstreamError } from '../../src/inference/errors.js';
import { adapterFor } from '../../src/inference/adapters/index.js';
import { parseOpenAiChatRequest } from '../../src/inference/protocols/openai-chat.js';
import { UndiciTransport } from '../../src/inference/transport/index.js';
import type { AdapterStream, ChatResult, Usage } from '../../src/inference/types.js';
import type { ChatMessage } from '../mock-upstream.js';

let counter = 0;

/** The UpstreamError `promise` rejects with; fails the test if it resolves or rejects with anything else. */
export async function rejection(promise: Promise<unknown>): Promise<UpstreamError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof UpstreamError) return err;
    throw err;
  }
  throw new Error('expected an UpstreamError, but the call succeeded');
}

/** An openai-compatible target with generous timeouts, unless overridden. */
export function makeTarget(overrides: Partial<ProviderTarget> = {}): ProviderTarget {
  counter++;
  return {
    providerId: `prov_${counter}`,
    name: `provider ${counter}`,
    kind: 'openai-compatible',
    baseUrl: 'http://127.0.0.1:9/v1',
    apiKey: 'sk-test',
    upstreamModel: 'mock-ok',
    timeouts: { connectMs: 2_000, firstByteMs: 5_000, idleMs: 5_000 },
    priority: 0,
    weight: 1,
    options: {},
    ...overrides,
  };
}

export const MESSAGES: ChatMessage[] = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Hello there, how are you today?' },
];

/** One transport for the test file (pools per transport, as per platform). */
export const transport = new UndiciTransport();

export interface WireRequest {
  model: string;
  messages: ChatMessage[];
  [field: string]: unknown;
}

export interface Completion {
  result: ChatResult;
  content: string;
  usage: { prompt_tokens: number; completion_tokens: number } | null;
  finishReason: string | null;
}

function wireUsage(usage: Usage | null) {
  return usage === null ? null : { prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens };
}

function call(target: ProviderTarget, request: WireRequest, stream: boolean) {
  const parsed = parseOpenAiChatRequest(request);
  const limit = typeof request.max_tokens === 'number' ? request.max_tokens : 4096;
  return {
    request: parsed.request,
    upstreamModel: target.upstreamModel,
    maxOutputTokens: limit,
    defaults: {},
    stream,
    ...(target.kind === 'openai-compatible' ? { openAiBody: request as Record<string, unknown> } : {}),
  };
}

/** A whole answer from the target's adapter. */
export async function complete(target: ProviderTarget, request: WireRequest, options: { signal?: AbortSignal } = {}): Promise<Completion> {
  const adapter = adapterFor(target.kind)!;
  const result = await adapter.chat(target, call(target, request, false), {
    transport,
    signal: options.signal ?? new AbortController().signal,
    requestId: 'test',
  });
  return {
    result,
    content: result.choices[0]?.text ?? '',
    usage: wireUsage(result.usage),
    finishReason: result.choices[0]?.finishReason ?? null,
  };
}

/** A stream from the target's adapter. */
export function openStream(target: ProviderTarget, request: WireRequest, options: { signal?: AbortSignal } = {}): Promise<AdapterStream> {
  const adapter = adapterFor(target.kind)!;
  return adapter.streamChat(target, call(target, request, true), {
    transport,
    signal: options.signal ?? new AbortController().signal,
    requestId: 'test',
  });
}

export { wireUsage };
