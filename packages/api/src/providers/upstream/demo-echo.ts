import { randomUUID } from 'node:crypto';
import { countPromptTokens, countTextTokens, truncateToTokens } from './token-count.js';
import {
  UpstreamError,
  type ChatCompletionChunk,
  type ChatCompletionRequest,
  type ChatMessage,
  type UpstreamCallOptions,
  type UpstreamCompletion,
  type UpstreamStream,
  type UpstreamTarget,
  type Usage,
} from './types.js';

// The built-in `demo-echo` provider lets a fresh install answer chat requests
// (and exercise billing, streaming and the UI) without any model or network.
// Its reply is a pure function of the request, so tests can assert exact text
// and token counts.

export const DEMO_ECHO_SUFFIX = 'This reply comes from the demo-echo provider.';

/** The full reply demo-echo gives for these messages (before any max_tokens cut). */
export function demoEchoReply(messages: readonly ChatMessage[]): string {
  let last = '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!;
    if (message.role === 'user') {
      last = message.content;
      break;
    }
  }
  return `Echo: ${last}\n\n${DEMO_ECHO_SUFFIX}`;
}

interface DemoAnswer {
  text: string;
  usage: Usage;
  finishReason: 'stop' | 'length';
}

function answer(request: ChatCompletionRequest): DemoAnswer {
  const full = demoEchoReply(request.messages);
  const prompt = countPromptTokens(request.messages);
  const max = request.max_tokens;
  if (typeof max === 'number' && Number.isInteger(max) && max > 0) {
    const cut = truncateToTokens(full, max);
    return {
      text: cut.text,
      usage: { prompt_tokens: prompt, completion_tokens: cut.tokens },
      finishReason: cut.text.length < full.length ? 'length' : 'stop',
    };
  }
  return { text: full, usage: { prompt_tokens: prompt, completion_tokens: countTextTokens(full) }, finishReason: 'stop' };
}

function abortedError(target: UpstreamTarget, contentSoFar?: string): UpstreamError {
  return new UpstreamError(`request to ${target.name} aborted`, {
    kind: 'aborted',
    providerId: target.providerId,
    retryable: false,
    contentSoFar,
  });
}

/** Same contract as sendChatCompletion, answered locally. */
export async function sendDemoEcho(
  target: UpstreamTarget,
  request: ChatCompletionRequest,
  options: UpstreamCallOptions = {},
): Promise<UpstreamCompletion> {
  if (options.signal?.aborted === true) throw abortedError(target);
  const { text, usage, finishReason } = answer(request);
  return {
    body: {
      id: `chatcmpl-demo-${randomUUID()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: target.upstreamModel,
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finishReason }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    },
    content: text,
    usage,
    finishReason,
  };
}

/** Same contract as streamChatCompletion: one chunk per word, then a finish chunk and a usage chunk. */
export async function streamDemoEcho(
  target: UpstreamTarget,
  request: ChatCompletionRequest,
  options: UpstreamCallOptions = {},
): Promise<UpstreamStream> {
  if (options.signal?.aborted === true) throw abortedError(target);
  return new DemoEchoStream(target, answer(request), options.signal);
}

// Split before every word that follows whitespace, so the pieces concatenate
// back to the exact reply (newlines included).
const WORD_BOUNDARY = /(?<=\s)(?=\S)/;

class DemoEchoStream implements UpstreamStream {
  contentSoFar = '';
  usage: Usage | null = null;
  finishReason: string | null = null;
  completed = false;

  readonly target: UpstreamTarget;
  readonly #answer: DemoAnswer;
  readonly #signal: AbortSignal | undefined;
  #started = false;
  #cancelled = false;

  constructor(target: UpstreamTarget, demoAnswer: DemoAnswer, signal: AbortSignal | undefined) {
    this.target = target;
    this.#answer = demoAnswer;
    this.#signal = signal;
  }

  cancel(): void {
    this.#cancelled = true;
  }

  [Symbol.asyncIterator](): AsyncIterator<ChatCompletionChunk> {
    if (this.#started) throw new Error('an UpstreamStream can only be iterated once');
    this.#started = true;
    return this.#chunks();
  }

  async *#chunks(): AsyncGenerator<ChatCompletionChunk, void, undefined> {
    const id = `chatcmpl-demo-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const model = this.target.upstreamModel;
    const chunk = (delta: ChatCompletionChunk['choices'][number]['delta'], finishReason: string | null): ChatCompletionChunk => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finishReason }],
    });

    if (!this.#live()) return;
    yield chunk({ role: 'assistant', content: '' }, null);
    for (const word of this.#answer.text.split(WORD_BOUNDARY)) {
      if (!this.#live()) return;
      this.contentSoFar += word;
      yield chunk({ content: word }, null);
    }
    if (!this.#live()) return;
    this.finishReason = this.#answer.finishReason;
    yield chunk({}, this.#answer.finishReason);
    if (!this.#live()) return;
    const { usage } = this.#answer;
    this.usage = usage;
    this.completed = true;
    yield {
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    };
  }

  /** False once cancelled; throws once the caller's signal aborted, as a network stream would. */
  #live(): boolean {
    if (this.#signal?.aborted === true) throw abortedError(this.target, this.contentSoFar);
    return !this.#cancelled;
  }
}
