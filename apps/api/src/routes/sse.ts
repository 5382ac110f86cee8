import type { FastifyReply } from 'fastify';

/**
 * Takes the response over from Fastify for a server-sent event stream. The headers leave with the
 * first event when it is already at hand (an upstream's headers and first chunk usually arrive in
 * one read): one write instead of two, a measurable share of a short stream's CPU. Otherwise they
 * leave on their own at the end of this turn of the event loop, so the client still sees the
 * stream open before a slow first token.
 */
export function openEventStream(
  reply: FastifyReply,
  requestId: string,
): { write(data: string, event?: string): boolean; writeFramed: (text: string) => void; end(): void } {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': requestId,
  });
  // `headersSent` turns true at writeHead already, so whether anything left is tracked here.
  let wrote = false;
  setImmediate(() => {
    if (!wrote && !raw.destroyed) raw.flushHeaders();
  });
  return {
    // A named event (`event: …`) for protocols that name theirs (the Responses API); data only otherwise.
    write: (data: string, event?: string) => {
      if (raw.destroyed) return false;
      wrote = true;
      return raw.write(event === undefined ? `data: ${data}\n\n` : `event: ${event}\ndata: ${data}\n\n`);
    },
    /** Events already framed (`data: …\n\n`), e.g. an upstream's own. */
    writeFramed: (text: string) => {
      if (raw.destroyed) return;
      wrote = true;
      raw.write(text);
    },
    end: () => {
      wrote = true;
      if (!raw.destroyed) raw.end();
    },
  };
}
