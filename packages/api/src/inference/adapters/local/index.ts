// Provider kind `local` (issue 15): a model served from its own uploaded GGUF file by the built-in
// runtime (runtime.ts, node-llama-cpp in a worker process). Not a provider anyone creates: the
// call resolver gives a model with a model file and no routes one target of this kind, and the
// platform registers one adapter per runtime (Inference's `adapters` option).
import { randomUUID } from 'node:crypto';
import type { AdapterContext, ProviderAdapter, ProviderTarget } from '../../adapter.js';
import { UpstreamError } from '../../errors.js';
import { countPromptTokens, messageText } from '../../token-count.js';
import type { AdapterChatRequest, AdapterStream, ChatRequest, ChatResult, FinishReason, StreamEvent, Usage } from '../../types.js';
import type { GenerationParams, WorkerMessage } from './protocol.js';
import type { GenerationEvent, LocalRuntime } from './runtime.js';

export { LocalRuntime, type LocalModelSpec, type LocalRuntimeOptions } from './runtime.js';

export const LOCAL_KIND = 'local';

function workerMessages(request: ChatRequest): WorkerMessage[] {
  return request.messages.map((message) => ({
    role: message.role === 'system' || message.role === 'developer' ? 'system' : message.role === 'assistant' ? 'assistant' : 'user',
    content: messageText(message),
  }));
}

function numberOr(value: unknown, fallback: number | undefined): number | undefined {
  return typeof value === 'number' ? value : fallback;
}

/** The request's sampling settings over the model's defaults (its `config`), capped by the reservation. */
function generationParams(call: AdapterChatRequest): GenerationParams {
  const { request, defaults } = call;
  const stop =
    request.stop ??
    (typeof defaults.stop === 'string' ? [defaults.stop] : Array.isArray(defaults.stop) ? (defaults.stop as string[]) : undefined);
  const params: GenerationParams = { maxTokens: call.maxOutputTokens };
  const temperature = request.temperature ?? numberOr(defaults.temperature, undefined);
  const topP = request.topP ?? numberOr(defaults.top_p, undefined);
  if (temperature !== undefined) params.temperature = temperature;
  if (topP !== undefined) params.topP = topP;
  if (request.topK !== undefined) params.topK = request.topK;
  if (request.seed !== undefined) params.seed = request.seed;
  if (stop && stop.length > 0) params.stop = stop;
  return params;
}

function usageOf(inputTokens: number, outputTokens: number): Usage {
  return { inputTokens, outputTokens, cachedInputTokens: 0, cacheWriteInputTokens: 0, reasoningTokens: 0 };
}

function finishOf(reason: 'stop' | 'length' | 'cancelled'): FinishReason {
  return reason === 'length' ? 'length' : 'stop';
}

function refuseUnsupported(target: ProviderTarget, request: ChatRequest): void {
  if ((request.n ?? 1) > 1) {
    throw new UpstreamError('the local runtime answers one choice per call (n = 1)', {
      kind: 'client',
      providerId: target.providerId,
      retryable: false,
    });
  }
}

function aborted(target: ProviderTarget, contentSoFar?: string): UpstreamError {
  return new UpstreamError(`request to ${target.name} aborted`, {
    kind: 'aborted',
    providerId: target.providerId,
    retryable: false,
    contentSoFar,
  });
}

export function localAdapter(runtime: LocalRuntime): ProviderAdapter {
  return {
    kind: LOCAL_KIND,
    operations: ['chat'],
    acceptedParts: ['text'],
    supportsTools: false,
    defaultBaseUrl: 'builtin://local',
    requiresApiKey: false,
    // Only a fallback: the engine uses countInputTokens, the model's own tokenizer and template.
    estimateInputTokens: (request) => countPromptTokens(request.messages),
    countInputTokens: (target, request) => runtime.countTokens(target.upstreamModel, workerMessages(request)),

    async chat(target, call, context): Promise<ChatResult> {
      refuseUnsupported(target, call.request);
      if (context.signal.aborted) throw aborted(target);
      let text = '';
      let done: Extract<GenerationEvent, { type: 'done' }> | null = null;
      await runtime.generate(
        target.upstreamModel,
        workerMessages(call.request),
        generationParams(call),
        (event) => {
          if (event.type === 'text') text += event.text;
          else if (event.type === 'done') done = event;
        },
        context.signal,
      );
      const finished = done as Extract<GenerationEvent, { type: 'done' }> | null;
      if (context.signal.aborted || !finished || finished.finishReason === 'cancelled') throw aborted(target, text);
      return {
        id: `chatcmpl-local-${randomUUID()}`,
        created: Math.floor(Date.now() / 1000),
        choices: [{ index: 0, text, toolCalls: [], finishReason: finishOf(finished.finishReason) }],
        usage: usageOf(finished.inputTokens, finished.outputTokens),
      };
    },

    async streamChat(target, call, context): Promise<AdapterStream> {
      refuseUnsupported(target, call.request);
      if (context.signal.aborted) throw aborted(target);
      const stream = new LocalStream(target, context);
      const generation = runtime.generate(
        target.upstreamModel,
        workerMessages(call.request),
        generationParams(call),
        (event) => stream.push(event),
        stream.signal,
      );
      generation.then(
        () => stream.end(),
        (error: unknown) => stream.fail(error),
      );
      // Like an HTTP upstream's headers: resolves once the runtime accepted the call (queue place,
      // model loaded, prompt tokenized), so a 429 or a load failure is still the call's status.
      await stream.started;
      return stream;
    },
  };
}

/**
 * A generation read as stream events. `deliveredUsage` counts, with the runtime's own tokenizer,
 * what reached the consumer: a stream the client cut is billed exactly for that.
 */
class LocalStream implements AdapterStream {
  completed = false;
  usage: Usage | null = null;
  deliveredText = '';
  deliveredUsage: Usage | null = null;
  readonly started: Promise<void>;
  readonly #target: ProviderTarget;
  readonly #context: AdapterContext;
  readonly #abort = new AbortController();
  readonly #queue: GenerationEvent[] = [];
  #ended = false;
  #error: unknown = null;
  #wake: (() => void) | null = null;
  #markStarted!: () => void;
  #failStart!: (error: unknown) => void;
  #iterated = false;

  constructor(target: ProviderTarget, context: AdapterContext) {
    this.#target = target;
    this.#context = context;
    this.started = new Promise((resolve, reject) => {
      this.#markStarted = resolve;
      this.#failStart = reject;
    });
    this.started.catch(() => undefined);
    context.signal.addEventListener('abort', () => this.#abort.abort(), { once: true });
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  push(event: GenerationEvent): void {
    if (event.type === 'started') {
      this.deliveredUsage = usageOf(event.inputTokens, 0);
      this.#markStarted();
      return;
    }
    this.#queue.push(event);
    this.#wake?.();
  }

  end(): void {
    this.#ended = true;
    this.#markStarted();
    this.#wake?.();
  }

  fail(error: unknown): void {
    // A crash of the runtime costs the caller nothing (issue 15), even mid-stream.
    if (error instanceof UpstreamError && error.kind === 'server') this.deliveredUsage = usageOf(0, 0);
    this.#error = error;
    this.#ended = true;
    this.#failStart(error);
    this.#wake?.();
  }

  cancel(): void {
    this.#abort.abort();
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamEvent> {
    if (this.#iterated) throw new Error('an AdapterStream can only be iterated once');
    this.#iterated = true;
    return this.#events();
  }

  async *#events(): AsyncGenerator<StreamEvent, void, undefined> {
    try {
      for (;;) {
        const event = this.#queue.shift();
        if (!event) {
          if (this.#ended) break;
          await new Promise<void>((resolve) => (this.#wake = resolve));
          this.#wake = null;
          continue;
        }
        if (this.#context.signal.aborted) throw aborted(this.#target, this.deliveredText);
        if (event.type === 'text') {
          // Counted as it is handed on, with the tokens it came from, as an HTTP stream counts what it relayed.
          this.deliveredText += event.text;
          if (this.deliveredUsage)
            this.deliveredUsage = usageOf(this.deliveredUsage.inputTokens, this.deliveredUsage.outputTokens + event.tokens);
          if (event.text !== '') yield { type: 'text', index: 0, text: event.text };
        } else if (event.type === 'done') {
          if (event.finishReason === 'cancelled') break;
          yield { type: 'finish', index: 0, reason: finishOf(event.finishReason) };
          this.usage = usageOf(event.inputTokens, event.outputTokens);
          this.completed = true;
          yield { type: 'usage', usage: this.usage };
        }
      }
      if (this.#error) throw this.#error instanceof Error ? this.#error : new Error('the local runtime failed');
      if (this.#context.signal.aborted && !this.completed) throw aborted(this.#target, this.deliveredText);
    } finally {
      this.#abort.abort();
    }
  }
}
