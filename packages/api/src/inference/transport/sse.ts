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
  /** Bytes read so far: undici's dump limit counts the whole body, not what is left. */
  #bytesRead = 0;

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
        this.#bytesRead += (bytes as Uint8Array).length;
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
          this.#body.dump({ limit: this.#bytesRead + MAX_DRAIN_BYTES }).catch(ignore);
        }
      }
    }
  }

  /**
   * Push-based reading, for a pass-through: `onText` gets each network read as text as soon as it
   * arrives (no promise per read, as the async iterator makes) and returns false once it has seen
   * the protocol's end. Resolves true then (what is left is drained in the background to keep the
   * socket), false if the body ended first; rejects with an UpstreamError if the body failed or
   * `onText` threw.
   */
  pump(onText: (text: string) => boolean): Promise<boolean> {
    if (this.#started) throw new Error('an SSE response can only be read once');
    this.#started = true;
    const body = this.#body;
    const decoder = new TextDecoder();
    return new Promise<boolean>((resolve, reject) => {
      let settled = false;
      let read = 0;
      let drained = 0;
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        this.cancel();
        reject(transportError(error, this.#target, this.#signal, read === 0));
      };
      body.on('data', (bytes: Buffer) => {
        if (settled) {
          // After the protocol's end only the chunked terminator should remain.
          drained += bytes.length;
          if (drained > MAX_DRAIN_BYTES) body.destroy();
          return;
        }
        read += bytes.length;
        let more: boolean;
        try {
          more = onText(decoder.decode(bytes, { stream: true }));
        } catch (error) {
          fail(error);
          return;
        }
        if (!more) {
          settled = true;
          resolve(true);
        }
      });
      body.on('end', () => {
        if (settled) return;
        settled = true;
        resolve(false);
      });
      body.on('error', (error) => (settled ? undefined : fail(error)));
      body.on('close', () => fail(new Error('the upstream stream closed before its end')));
    });
  }
}
