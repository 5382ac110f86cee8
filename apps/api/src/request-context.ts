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

/**
 * The caller's credential as an Authorization value. Anthropic clients send their key as
 * `x-api-key` (the Messages API's header): on /v1/messages it is taken as a Bearer token, so the
 * rate-limit hook and the route authenticate it the same way, once.
 */
export function credentialOf(request: FastifyRequest): string | undefined {
  const authorization = headerValue(request.headers.authorization);
  if (authorization) return authorization;
  const apiKey = headerValue(request.headers['x-api-key']);
  return apiKey && request.url.startsWith('/v1/messages') ? `Bearer ${apiKey}` : undefined;
}

export function contextFromRequest(platform: Platform, request: FastifyRequest, reply: FastifyReply): RequestContext {
  // One context per request: the rate-limit hook may have made it (and resolved the actor) already.
  if (request.requestContext) return request.requestContext;
  const context = createRequestContext({
    platform,
    requestId: request.id,
    locale: request.locale,
    ip: request.ip,
    authorization: credentialOf(request),
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
    /** The text of a JSON body, as parsed into `body`. */
    jsonText?: string;
  }
}
