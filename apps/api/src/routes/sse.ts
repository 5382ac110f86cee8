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
  // Events written in one tick (the several events of one upstream read, the last ones and the
  // usage) leave in one write to the socket, not one each: corked at the first, uncorked after.
  let corked = false;
  const uncork = () => {
    corked = false;
    raw.uncork();
  };
  const send = (text: string) => {
    if (!corked) {
      corked = true;
      raw.cork();
      process.nextTick(uncork);
    }
    return raw.write(text);
  };
  return {
    // A named event (`event: …`) for protocols that name theirs (the Responses API); data only otherwise.
    write: (data: string, event?: string) =>
      raw.destroyed ? false : send(event === undefined ? `data: ${data}\n\n` : `event: ${event}\ndata: ${data}\n\n`),
    /** Events already framed (`data: …\n\n`), e.g. an upstream's own. */
    writeFramed: (text: string) => {
      if (!raw.destroyed) send(text);
    },
    end: () => {
      if (!raw.destroyed) raw.end();
    },
  };
}
