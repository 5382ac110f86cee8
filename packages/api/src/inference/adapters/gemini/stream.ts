// streamGenerateContent?alt=sse: each SSE event's data is a whole GenerateContentResponse holding
// the next piece of each candidate (text deltas; a functionCall always arrives whole) and the usage
// so far. There is no [DONE]: the answer ends with a chunk carrying finishReason, then the body ends.
import type { ProviderTarget, SseResponse } from '../../adapter.js';
import type { AdapterStream, StreamEvent, Usage } from '../../types.js';
import { UpstreamError } from '../../errors.js';
import { argumentsText, finishReasonFromGemini, ToolCallIds, usageFromGemini } from './response.js';
import type { GeminiResponse } from './wire.js';

interface CandidateState {
  toolCalls: number;
  finished: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The upstream's own message from an in-stream `{error: {...}}`, bounded: it reaches clients and logs. */
function streamErrorMessage(error: unknown): string {
  const message = isRecord(error) && typeof error.message === 'string' ? error.message : 'error event';
  return `Gemini stream error: ${message.replace(/[\u0000-\u001f]+/g, ' ').slice(0, 300)}`;
}

export class GeminiStream implements AdapterStream {
  completed = false;
  usage: Usage | null = null;
  deliveredText = '';
  private readonly ids = new ToolCallIds();
  private readonly candidates = new Map<number, CandidateState>();
  private blocked = false;
  private iterated = false;

  constructor(
    private readonly target: ProviderTarget,
    private readonly sse: SseResponse,
  ) {}

  cancel(): void {
    this.sse.cancel();
  }

  private fail(message: string, kind: 'protocol' | 'server', cause?: unknown): UpstreamError {
    return new UpstreamError(message, {
      kind,
      providerId: this.target.providerId,
      // Retrying is safe only while the client has been handed nothing.
      retryable: this.deliveredText === '' && this.candidates.size === 0,
      contentSoFar: this.deliveredText,
      cause,
    });
  }

  /** The events of one chunk, in order. */
  eventsOf(chunk: GeminiResponse): StreamEvent[] {
    const events: StreamEvent[] = [];
    if (chunk.usageMetadata) this.usage = usageFromGemini(chunk.usageMetadata) ?? this.usage;
    if ((chunk.candidates ?? []).length === 0 && chunk.promptFeedback?.blockReason && !this.blocked) {
      this.blocked = true;
      events.push({ type: 'finish', index: 0, reason: 'content_filter' });
    }
    for (const [position, candidate] of (chunk.candidates ?? []).entries()) {
      const index = candidate.index ?? position;
      let state = this.candidates.get(index);
      if (!state) {
        state = { toolCalls: 0, finished: false };
        this.candidates.set(index, state);
      }
      for (const part of candidate.content?.parts ?? []) {
        if (part.functionCall) {
          const toolIndex = state.toolCalls++;
          const args = argumentsText(part.functionCall.args);
          events.push({
            type: 'tool-call-start',
            index,
            toolIndex,
            id: this.ids.idFor(part.functionCall),
            name: part.functionCall.name ?? '',
          });
          events.push({ type: 'tool-call-delta', index, toolIndex, arguments: args });
          this.deliveredText += args;
        } else if (typeof part.text === 'string' && part.text !== '') {
          if (part.thought) {
            events.push({
              type: 'reasoning',
              index,
              text: part.text,
              ...(part.thoughtSignature ? { signature: part.thoughtSignature } : {}),
            });
          } else {
            events.push({ type: 'text', index, text: part.text });
            this.deliveredText += part.text;
          }
        }
      }
      const reason = finishReasonFromGemini(candidate.finishReason, state.toolCalls > 0);
      if (reason !== null && !state.finished) {
        state.finished = true;
        events.push({ type: 'finish', index, reason });
      }
    }
    return events;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StreamEvent> {
    if (this.iterated) throw new Error('a Gemini stream can be iterated once');
    this.iterated = true;
    try {
      for await (const message of this.sse) {
        if (message.data.trim() === '') continue;
        let chunk: unknown;
        try {
          chunk = JSON.parse(message.data);
        } catch (cause) {
          throw this.fail('Gemini stream carried an event that is not JSON', 'protocol', cause);
        }
        if (!isRecord(chunk)) throw this.fail('Gemini stream carried an event that is not an object', 'protocol');
        if (chunk.error !== undefined) throw this.fail(streamErrorMessage(chunk.error), 'server');
        for (const event of this.eventsOf(chunk)) yield event;
      }
    } catch (error) {
      if (error instanceof UpstreamError && error.contentSoFar === this.deliveredText) throw error;
      if (error instanceof UpstreamError) {
        throw new UpstreamError(error.message, {
          kind: error.kind,
          providerId: error.providerId,
          retryable: error.retryable && this.deliveredText === '' && this.candidates.size === 0,
          status: error.status,
          code: error.code,
          contentSoFar: this.deliveredText,
          cause: error.cause,
        });
      }
      throw this.fail(`Gemini stream failed: ${error instanceof Error ? error.message.slice(0, 200) : 'unknown error'}`, 'protocol', error);
    } finally {
      this.sse.cancel();
    }
    const finished = this.blocked || (this.candidates.size > 0 && [...this.candidates.values()].every((state) => state.finished));
    if (!finished) throw this.fail('Gemini stream ended before a finishReason', 'protocol');
    this.completed = true;
    if (this.usage) yield { type: 'usage', usage: this.usage };
  }
}
