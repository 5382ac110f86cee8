import type { FastifyReply } from 'fastify';

/**
 * Takes the response over from Fastify for a server-sent event stream. Headers go out at once so
 * the client sees the stream open before the first token.
 */
export function openEventStream(reply: FastifyReply, requestId: string): { write(data: string): boolean; end(): void } {
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
    write: (data: string) => (raw.destroyed ? false : raw.write(`data: ${data}\n\n`)),
    end: () => {
      if (!raw.destroyed) raw.end();
    },
  };
}
