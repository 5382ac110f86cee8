import type { IncomingHttpHeaders } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { createParser } from 'eventsource-parser';
import { type Dispatcher, errors } from 'undici';
import type { ProviderTarget, SseMessage, SseResponse } from '../adapter.js';
import { abortError } from './buffered.js';
import { statusError, transportError } from './errors.js';

// After the protocol's natural end only the chunked-encoding terminator should remain; draining
// it keeps the socket reusable. Anything bigger than this is not worth waiting for.
const MAX_DRAIN_BYTES = 64 * 1024;
// Chunks that arrive before the consumer takes them are held; past this much the socket is paused
// (an iterating consumer awaits between messages), as a Readable's high-water mark did.
const MAX_QUEUED_BYTES = 64 * 1024;

/**
 * A body's bytes as text, read by read: multi-byte characters split across reads are joined, and a
 * leading byte-order mark is dropped, as TextDecoder does. StringDecoder rather than TextDecoder
 * because its `decode(bytes, { stream: true })` cost 0.23 µs a chunk against 0.06 (option checks).
 */
class BodyText {
  readonly #decoder = new StringDecoder('utf8');
  #first = true;

  read(bytes: Buffer): string {
    const text = this.#decoder.write(bytes);
    if (!this.#first || text.length === 0) return text;
    this.#first = false;
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }
}

interface Pump {
  onText: (text: string) => boolean;
  decoder: BodyText;
  /** Bytes handed to onText: once any were, a failure is no longer retryable. */
  read: number;
  resolve: (sawEnd: boolean) => void;
  reject: (error: unknown) => void;
}

interface Opening {
  resolve: (body: SseBody) => void;
  reject: (error: unknown) => void;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Opens an SSE answer with undici's dispatch callbacks and resolves once 2xx headers arrived.
 * undici's `request()` gives every answer an async resource and a Readable body stream, and every
 * network chunk of a stream went through the Readable machinery; here each chunk goes from
 * onResponseData straight to the consumer. A non-2xx answer is read up to `maxErrorBytes` for its
 * message and rejected as a status error; failures before the headers as transport errors.
 */
export function openSseBody(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  target: ProviderTarget,
  signal: AbortSignal | undefined,
  maxErrorBytes: number,
): Promise<SseResponse> {
  return new Promise<SseResponse>((resolve, reject) => {
    if (signal?.aborted) {
      reject(transportError(abortError(signal), target, signal, true));
      return;
    }
    SseBody.dispatch(dispatcher, options, new SseBody(target, signal, maxErrorBytes, { resolve, reject }));
  });
}

/**
 * An SSE body read network chunk by network chunk: nothing is buffered beyond what the consumer
 * has not taken yet, so the first token reaches the client as soon as the upstream sends it.
 * Stopping at the protocol's end drains the little that is left and keeps the socket; cancel()
 * drops the connection, which stops the upstream generating tokens nobody will read.
 */
export class SseBody implements SseResponse {
  status = 0;
  headers: IncomingHttpHeaders = {};
  readonly #target: ProviderTarget;
  readonly #signal: AbortSignal | undefined;
  readonly #maxErrorBytes: number;
  /** Until the headers came (and, for a non-2xx, its error body was read). */
  #opening: Opening | null;
  #controller: Dispatcher.DispatchController | null = null;
  /** A non-2xx answer's body, read only for its message. */
  #errorChunks: Buffer[] | null = null;
  #errorBytes = 0;
  /** Chunks the consumer has not taken yet. */
  #queue: Buffer[] = [];
  #queuedBytes = 0;
  /** The exchange is over: the body ended (#error null) or failed, was aborted or cancelled. */
  #done = false;
  #error: Error | null = null;
  #started = false;
  #pump: Pump | null = null;
  /** An iterating consumer waiting for the next chunk. */
  #waiter: Waiter | null = null;
  /** The consumer saw the protocol's end (or gave up): what is left is read and ignored. */
  #draining = false;
  #drainedBytes = 0;
  readonly #onAbort = (): void => {
    if (this.#signal) this.#abort(abortError(this.#signal));
  };

  constructor(target: ProviderTarget, signal: AbortSignal | undefined, maxErrorBytes: number, opening: Opening) {
    this.#target = target;
    this.#signal = signal;
    this.#maxErrorBytes = maxErrorBytes;
    this.#opening = opening;
  }

  /** Starts the exchange (a static method so the handler's callbacks stay off the public surface). */
  static dispatch(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions, body: SseBody): void {
    body.#signal?.addEventListener('abort', body.#onAbort, { once: true });
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart: (controller) => {
        body.#controller = controller;
        // Aborted while the request waited for a connection.
        if (body.#done) controller.abort(body.#error ?? new errors.RequestAbortedError());
      },
      onResponseStart: (_controller, status, headers) => body.#onHeaders(status, headers),
      onResponseData: (_controller, chunk) => body.#onData(chunk),
      onResponseEnd: () => body.#onEnd(),
      onResponseError: (_controller, error) => body.#fail(error),
    };
    try {
      dispatcher.dispatch(options, handler);
    } catch (error) {
      body.#fail(error instanceof Error ? error : new Error(String(error)));
    }
  }

  cancel(): void {
    if (this.#done) {
      this.#queue = [];
      this.#queuedBytes = 0;
      return;
    }
    // Reaches onResponseError synchronously; a consumer still reading gets an aborted error.
    this.#abort(new errors.RequestAbortedError());
  }

  [Symbol.asyncIterator](): AsyncIterator<SseMessage> {
    if (this.#started) throw new Error('an SSE response can only be iterated once');
    this.#started = true;
    return this.#messages();
  }

  async *#messages(): AsyncGenerator<SseMessage, void, undefined> {
    const pending: SseMessage[] = [];
    const parser = createParser({ onEvent: (event) => pending.push({ event: event.event, data: event.data }) });
    const decoder = new BodyText();
    let yielded = 0;
    try {
      for (;;) {
        if (this.#queue.length === 0) {
          if (this.#done) {
            if (this.#error) throw this.#error;
            break;
          }
          await new Promise<void>((resolve, reject) => (this.#waiter = { resolve, reject }));
          continue;
        }
        const chunks = this.#queue;
        this.#queue = [];
        this.#queuedBytes = 0;
        this.#resume();
        for (const bytes of chunks) {
          parser.feed(decoder.read(bytes));
          for (let i = 0; i < pending.length; i++) {
            yielded++;
            yield pending[i]!;
          }
          pending.length = 0;
        }
      }
    } catch (err) {
      this.cancel();
      throw transportError(err, this.#target, this.#signal, yielded === 0);
    } finally {
      // The consumer stopped at the protocol's end (or gave up): keep the socket if little is left.
      this.#stopReading();
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
    return new Promise<boolean>((resolve, reject) => {
      if (this.#error) {
        reject(transportError(this.#error, this.#target, this.#signal, true));
        return;
      }
      const pump: Pump = { onText, decoder: new BodyText(), read: 0, resolve, reject };
      this.#pump = pump;
      // Chunks that came before the consumer go first, in order; the pump may settle among them.
      const queued = this.#queue;
      for (let i = 0; i < queued.length && this.#pump === pump; i++) {
        this.#queuedBytes -= queued[i]!.length;
        this.#pumpChunk(pump, queued[i]!);
      }
      if (this.#pump !== pump) return;
      this.#queue = [];
      this.#queuedBytes = 0;
      if (this.#done) {
        this.#pump = null;
        resolve(false);
        return;
      }
      this.#resume();
    });
  }

  #pumpChunk(pump: Pump, bytes: Buffer): void {
    pump.read += bytes.length;
    let more: boolean;
    try {
      more = pump.onText(pump.decoder.read(bytes));
    } catch (error) {
      // Rejected here, not through #fail: the body may have ended already (chunks queued before pump()).
      this.#pump = null;
      pump.reject(transportError(error, this.#target, this.#signal, pump.read === 0));
      this.cancel();
      return;
    }
    if (!more) {
      this.#pump = null;
      pump.resolve(true);
      this.#stopReading();
    }
  }

  #onHeaders(status: number, headers: IncomingHttpHeaders): void {
    // 1xx answers are informational: the real headers follow.
    if (this.#done || status < 200) return;
    this.status = status;
    this.headers = headers;
    if (status < 300) {
      const opening = this.#opening;
      this.#opening = null;
      opening?.resolve(this);
      return;
    }
    this.#errorChunks = [];
  }

  #onData(chunk: Buffer): void {
    if (this.#done) return;
    const pump = this.#pump;
    if (pump !== null) {
      this.#pumpChunk(pump, chunk);
      return;
    }
    if (this.#draining) {
      this.#drainedBytes += chunk.length;
      if (this.#drainedBytes > MAX_DRAIN_BYTES) this.#abort(new Error('too much left after the stream’s end to drain'));
      return;
    }
    const errorChunks = this.#errorChunks;
    if (errorChunks !== null) {
      const room = this.#maxErrorBytes - this.#errorBytes;
      errorChunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      this.#errorBytes += Math.min(chunk.length, room);
      // Enough of the error body for its message (the rejection is the status error); drop the rest.
      if (this.#errorBytes >= this.#maxErrorBytes) this.#abort(new Error('error body cut'));
      return;
    }
    this.#queue.push(chunk);
    this.#queuedBytes += chunk.length;
    const waiter = this.#waiter;
    if (waiter !== null) {
      this.#waiter = null;
      waiter.resolve();
    } else if (this.#queuedBytes > MAX_QUEUED_BYTES) {
      this.#controller?.pause();
    }
  }

  #onEnd(): void {
    if (this.#done) return;
    this.#finish(null);
    const opening = this.#opening;
    if (opening !== null) {
      this.#opening = null;
      opening.reject(this.#statusError());
      return;
    }
    const pump = this.#pump;
    if (pump !== null) {
      this.#pump = null;
      pump.resolve(false);
    }
    const waiter = this.#waiter;
    if (waiter !== null) {
      this.#waiter = null;
      waiter.resolve();
    }
  }

  /** The exchange failed (upstream error, timeout, abort, cancel): whoever is reading hears it. */
  #fail(error: Error): void {
    if (this.#done) return;
    this.#finish(error);
    // Like a destroyed stream, what the consumer had not taken yet is dropped with it.
    this.#queue = [];
    this.#queuedBytes = 0;
    const opening = this.#opening;
    if (opening !== null) {
      this.#opening = null;
      // A failure while reading an error body only costs us its message.
      opening.reject(this.#errorChunks ? this.#statusError() : transportError(error, this.#target, this.#signal, true));
      return;
    }
    const pump = this.#pump;
    if (pump !== null) {
      this.#pump = null;
      pump.reject(transportError(error, this.#target, this.#signal, pump.read === 0));
    }
    const waiter = this.#waiter;
    if (waiter !== null) {
      this.#waiter = null;
      waiter.reject(error);
    }
  }

  #finish(error: Error | null): void {
    this.#done = true;
    this.#error = error;
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }

  /** Fails the exchange with `error` and drops the connection (undici will not reuse a half-read one). */
  #abort(error: Error): void {
    this.#fail(error);
    const controller = this.#controller;
    if (controller !== null && !controller.aborted) controller.abort(error);
  }

  #stopReading(): void {
    if (this.#draining) return;
    this.#draining = true;
    this.#drainedBytes += this.#queuedBytes;
    this.#queue = [];
    this.#queuedBytes = 0;
    if (this.#done) return;
    if (this.#drainedBytes > MAX_DRAIN_BYTES) this.#abort(new Error('too much left after the stream’s end to drain'));
    else this.#resume();
  }

  #resume(): void {
    const controller = this.#controller;
    if (controller !== null && controller.paused && !this.#done) controller.resume();
  }

  #statusError(): Error {
    const text = Buffer.concat(this.#errorChunks ?? []).toString('utf8');
    return statusError(this.#target, this.status, this.headers['retry-after'], text);
  }
}
