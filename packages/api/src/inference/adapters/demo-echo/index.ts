import { randomUUID } from 'node:crypto';
import type { ProviderAdapter, ProviderTarget } from '../../adapter.js';
import { UpstreamError } from '../../errors.js';
import { countPromptTokens } from '../../token-count.js';
import type { AdapterStream, ChatResult, StreamEvent, Usage } from '../../types.js';
import { demoEmbeddings } from './embeddings.js';
import { demoEditImages, demoGenerateImages } from './images.js';
import { type DemoAnswer, demoEchoAnswer } from './reply.js';
import { demoSpeech } from './speech.js';
import { demoTranscription } from './transcription.js';
import { demoVideo } from './video.js';

export { DEMO_EMBEDDING_DIMENSIONS, demoEmbedding } from './embeddings.js';
export { DEMO_ECHO_SUFFIX, demoEchoAnswer, demoEchoReply, sampleArguments } from './reply.js';

function abortedError(target: ProviderTarget, contentSoFar?: string): UpstreamError {
  return new UpstreamError(`request to ${target.name} aborted`, {
    kind: 'aborted',
    providerId: target.providerId,
    retryable: false,
    contentSoFar,
  });
}

export const demoEchoAdapter: ProviderAdapter = {
  kind: 'demo-echo',
  operations: ['chat', 'embeddings', 'image_generation', 'image_edit', 'speech', 'transcription', 'video_generation'],
  acceptedParts: ['text', 'image', 'audio', 'file'],
  supportsTools: true,
  defaultBaseUrl: 'builtin://demo-echo',
  requiresApiKey: false,
  // Exactly what it will report: it counts with the same function.
  estimateInputTokens: (request) => countPromptTokens(request.messages),

  async chat(target, call, context): Promise<ChatResult> {
    if (context.signal.aborted) throw abortedError(target);
    const answer = demoEchoAnswer(call.request, call.maxOutputTokens);
    return {
      id: `chatcmpl-demo-${randomUUID()}`,
      created: Math.floor(Date.now() / 1000),
      choices: [{ index: 0, text: answer.text, toolCalls: answer.toolCalls, finishReason: answer.finishReason }],
      usage: answer.usage,
    };
  },

  async streamChat(target, call, context): Promise<AdapterStream> {
    if (context.signal.aborted) throw abortedError(target);
    return new DemoEchoStream(target, demoEchoAnswer(call.request, call.maxOutputTokens), context.signal);
  },

  async embed(target, call, context) {
    if (context.signal.aborted) throw abortedError(target);
    return demoEmbeddings(call.request);
  },

  async generateImages(target, call, context) {
    if (context.signal.aborted) throw abortedError(target);
    return demoGenerateImages(call.request);
  },

  async editImages(target, call, context) {
    if (context.signal.aborted) throw abortedError(target);
    return demoEditImages(call.request);
  },

  async speak(target, call, context) {
    if (context.signal.aborted) throw abortedError(target);
    try {
      return await demoSpeech(call.request, context.signal);
    } catch (error) {
      if (context.signal.aborted) throw abortedError(target);
      throw error;
    }
  },

  async transcribe(target, call, context) {
    if (context.signal.aborted) throw abortedError(target);
    return demoTranscription(call.request);
  },

  async generateVideo(target, call, context) {
    if (context.signal.aborted) throw abortedError(target);
    return demoVideo(call.request, context.onProgress, context.signal);
  },
};

// Split before every word that follows whitespace, so the pieces concatenate back to the exact
// reply (newlines included).
const WORD_BOUNDARY = /(?<=\s)(?=\S)/;

/** One text event per word (or a tool call start and its arguments), then finish and usage. */
class DemoEchoStream implements AdapterStream {
  completed = false;
  usage: Usage | null = null;
  deliveredText = '';
  readonly #target: ProviderTarget;
  readonly #answer: DemoAnswer;
  readonly #signal: AbortSignal;
  #started = false;
  #cancelled = false;

  constructor(target: ProviderTarget, answer: DemoAnswer, signal: AbortSignal) {
    this.#target = target;
    this.#answer = answer;
    this.#signal = signal;
  }

  cancel(): void {
    this.#cancelled = true;
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamEvent> {
    if (this.#started) throw new Error('an AdapterStream can only be iterated once');
    this.#started = true;
    return this.#events();
  }

  async *#events(): AsyncGenerator<StreamEvent, void, undefined> {
    const answer = this.#answer;
    if (answer.text !== '') {
      for (const word of answer.text.split(WORD_BOUNDARY)) {
        if (!this.#live()) return;
        this.deliveredText += word;
        yield { type: 'text', index: 0, text: word };
      }
    }
    for (let toolIndex = 0; toolIndex < answer.toolCalls.length; toolIndex++) {
      const call = answer.toolCalls[toolIndex]!;
      if (!this.#live()) return;
      yield { type: 'tool-call-start', index: 0, toolIndex, id: call.id, name: call.name };
      if (!this.#live()) return;
      this.deliveredText += call.arguments;
      yield { type: 'tool-call-delta', index: 0, toolIndex, arguments: call.arguments };
    }
    if (!this.#live()) return;
    yield { type: 'finish', index: 0, reason: answer.finishReason };
    if (!this.#live()) return;
    this.usage = answer.usage;
    this.completed = true;
    yield { type: 'usage', usage: answer.usage };
  }

  /** False once cancelled; throws once the caller's signal aborted, as a network stream would. */
  #live(): boolean {
    if (this.#signal.aborted) throw abortedError(this.#target, this.deliveredText);
    return !this.#cancelled;
  }
}
