import { createParser } from 'eventsource-parser';
import type { Dispatcher } from 'undici';
import type { ProviderTarget, SseMessage, SseResponse } from '../adapter.js';
import { transportError } from './errors.js';

// After the protocol's natural end only the chunked-encoding terminator should remain; draining
// it keeps the socket reusable. Anything bigger than this is not worth waiting for.
const MAX_DRAIN_BYTES = 64 * 1024;
const ignore = (): void => {};

type BodyReadable = Dispatcher.ResponseData['body'];

/**
 * An SSE body read network chunk by network chunk: nothing is buffered beyond the current read,
 * so the first token reaches the client as soon as the upstream sends it. Breaking out of the
 * loop (the protocol's end was seen) drains the little that is left and keeps the socket;
 * cancel() destroys it, which stops the upstream generating tokens nobody will read.
 */
export class SseBody implements SseResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly #target: ProviderTarget;
  readonly #body: BodyReadable;
  readonly #signal: AbortSignal | undefined;
  #started = false;

  constructor(target: ProviderTarget, response: Dispatcher.ResponseData, signal: AbortSignal | undefined) {
    this.#target = target;
    this.status = response.statusCode;
    this.headers = response.headers;
    this.#body = response.body;
    this.#signal = signal;
  }

  cancel(): void {
    // Destroying before the end makes undici emit an abort error; once the iterator has let go
    // nobody else listens, so it must be swallowed here.
    if (!this.#body.destroyed) this.#body.on('error', ignore).destroy();
  }

  [Symbol.asyncIterator](): AsyncIterator<SseMessage> {
    if (this.#started) throw new Error('an SSE response can only be iterated once');
    this.#started = true;
    return this.#messages();
  }

  async *#messages(): AsyncGenerator<SseMessage, void, undefined> {
    const pending: SseMessage[] = [];
    const parser = createParser({ onEvent: (event) => pending.push({ event: event.event, data: event.data }) });
    const decoder = new TextDecoder();
    // destroyOnReturn: false lets the consumer stop at the protocol's end and drain the rest,
    // which keeps the keep-alive socket; a plain for-await would destroy it.
    const reader = this.#body.iterator({ destroyOnReturn: false });
    let yielded = 0;
    let ended = false;
    try {
      for await (const bytes of reader) {
        parser.feed(decoder.decode(bytes as Uint8Array, { stream: true }));
        for (let i = 0; i < pending.length; i++) {
          yielded++;
          yield pending[i]!;
        }
        pending.length = 0;
      }
      ended = true;
    } catch (err) {
      this.cancel();
      throw transportError(err, this.#target, this.#signal, yielded === 0);
    } finally {
      if (!ended) {
        if (this.#body.destroyed) {
          // cancelled or failed
        } else {
          // The consumer stopped at the protocol's end (or gave up): keep the socket if little is left.
          this.#body.dump({ limit: MAX_DRAIN_BYTES }).catch(ignore);
        }
      }
    }
  }
}
