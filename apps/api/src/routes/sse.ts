import type { FastifyReply } from 'fastify';

/**
 * Takes the response over from Fastify for a server-sent event stream. Headers go out at once so
 * the client sees the stream open before the first token.
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
  raw.flushHeaders();
  return {
    // A named event (`event: …`) for protocols that name theirs (the Responses API); data only otherwise.
    write: (data: string, event?: string) =>
      raw.destroyed ? false : raw.write(event === undefined ? `data: ${data}\n\n` : `event: ${event}\ndata: ${data}\n\n`),
    /** Events already framed (`data: …\n\n`), e.g. an upstream's own. */
    writeFramed: (text: string) => {
      if (!raw.destroyed) raw.write(text);
    },
    end: () => {
      if (!raw.destroyed) raw.end();
    },
  };
}
