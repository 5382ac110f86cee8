import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { errorFromBody } from './errors.js';

/** One server-sent event, as sent. */
export interface SseEvent {
  /** The `event:` field, when the server set one. */
  event: string | undefined;
  id: string | undefined;
  data: string;
}

export interface ReadSseOptions {
  /** Stops reading and cancels the stream. */
  signal?: AbortSignal;
}

type Source = Response | ReadableStream<Uint8Array>;

async function streamOf(source: Source): Promise<ReadableStream<Uint8Array>> {
  if ('getReader' in source) return source;
  const response = source;
  if (!response.ok) throw errorFromBody(response.status, response.headers, await response.text(), null);
  if (!response.body) throw new TypeError('@maas/sdk: the response has no body to read events from');
  return response.body;
}

/** Every event of a `text/event-stream` response (or body stream), as it arrives. */
export async function* readSseEvents(source: Source, options: ReadSseOptions = {}): AsyncGenerator<SseEvent, void, undefined> {
  const stream = await streamOf(source);
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  const pending: SseEvent[] = [];
  const parser = createParser({
    onEvent: (message: EventSourceMessage) => pending.push({ event: message.event, id: message.id, data: message.data }),
  });
  const onAbort = () => void reader.cancel(options.signal?.reason).catch(() => {});
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      const { done, value } = await reader.read();
      if (done) {
        parser.feed(decoder.decode());
        parser.reset({ consume: true });
        yield* pending.splice(0);
        return;
      }
      parser.feed(decoder.decode(value, { stream: true }));
      yield* pending.splice(0);
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    // Leaving early (break, an error, abort) must not leave the connection open.
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/**
 * The `data:` of every event, parsed as JSON, until the stream ends (or sends `[DONE]`, as
 * OpenAI-compatible streams do): `for await (const event of readSse<ChatEvent>(response))`.
 */
export async function* readSse<T = unknown>(source: Source, options: ReadSseOptions = {}): AsyncGenerator<T, void, undefined> {
  for await (const event of readSseEvents(source, options)) {
    if (event.data === '[DONE]') return;
    yield JSON.parse(event.data) as T;
  }
}
