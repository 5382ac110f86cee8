import { AppError, describeError, type Locale } from '@maas/api';
import type { FastifyReply } from 'fastify';
import type { Socket } from 'node:net';
import { renderAnthropicError } from './anthropic.js';
import { protocolLocale } from './locale.js';
import { renderOpenAiError } from './openai.js';
import { newRequestId, type RenderedError } from './rendered.js';
import { renderRestError } from './rest.js';

/** Writes a rendered error as the reply: status, headers (x-request-id among them), JSON body. */
export function sendRendered(reply: FastifyReply, rendered: RenderedError<unknown>): FastifyReply {
  return reply.code(rendered.status).headers(rendered.headers).type('application/json; charset=utf-8').send(rendered.body);
}

/**
 * Anything thrown, answered as the REST envelope. The locale is the request's, except where the
 * request was refused before it was negotiated (the host's framework errors pass their own).
 */
export function sendRestError(reply: FastifyReply, error: unknown, locale: Locale = reply.request.locale): FastifyReply {
  return sendRendered(reply, renderRestError(describeError(error, locale), reply.request.id));
}

/** Anything thrown, answered in OpenAI's shape (the `/v1` gateway), in English unless the request asks otherwise. */
export function sendOpenAiError(reply: FastifyReply, error: unknown): FastifyReply {
  return sendRendered(reply, renderOpenAiError(describeError(error, protocolLocale(reply.request)), reply.request.id));
}

/** Anything thrown, answered in Anthropic's shape (`/v1/messages`), in English unless the request asks otherwise. */
export function sendAnthropicError(reply: FastifyReply, error: unknown): FastifyReply {
  return sendRendered(reply, renderAnthropicError(describeError(error, protocolLocale(reply.request)), reply.request.id));
}

/**
 * Node's HTTP parser rejects some requests before Fastify sees them: too slow (408), headers too
 * large (431), not HTTP at all (400). No request was parsed, so no language was negotiated and no
 * surface is known: the answer is the REST envelope in the default language, with node's status,
 * and the connection is closed, as node does.
 */
export function answerClientError(error: { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, key] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? ([408, 'Request Timeout', 'REQUEST_TIMEOUT'] as const)
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? ([431, 'Request Header Fields Too Large', 'HEADERS_TOO_LARGE'] as const)
        : ([400, 'Bad Request', 'MALFORMED_HTTP'] as const);
  const requestId = newRequestId();
  const rendered = renderRestError(describeError(new AppError('INVALID_REQUEST', { message: key }), 'zh-CN'), requestId);
  const body = JSON.stringify(rendered.body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
