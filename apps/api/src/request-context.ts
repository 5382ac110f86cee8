import { createRequestContext, type negotiateLocale, type Platform, type RequestContext } from '@maas/api';
import type { FastifyReply, FastifyRequest } from 'fastify';

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Aborts when the client goes away before the response is complete; created only when asked for. */
function lazyClientSignal(reply: FastifyReply): () => AbortSignal {
  let controller: AbortController | undefined;
  return () => {
    if (!controller) {
      const created = new AbortController();
      controller = created;
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) created.abort();
      });
    }
    return controller.signal;
  };
}

export function contextFromRequest(platform: Platform, request: FastifyRequest, reply: FastifyReply): RequestContext {
  // One context per request: the rate-limit hook may have made it (and resolved the actor) already.
  if (request.requestContext) return request.requestContext;
  const context = createRequestContext({
    platform,
    requestId: request.id,
    locale: request.locale,
    ip: request.ip,
    authorization: headerValue(request.headers.authorization),
    idempotencyKey: headerValue(request.headers['idempotency-key']),
    userAgent: headerValue(request.headers['user-agent']),
    clientSignal: lazyClientSignal(reply),
    setHeader: (name, value) => {
      void reply.header(name, value);
    },
  });
  request.requestContext = context;
  return context;
}

declare module 'fastify' {
  interface FastifyRequest {
    locale: ReturnType<typeof negotiateLocale>;
    requestContext?: RequestContext;
  }
}
