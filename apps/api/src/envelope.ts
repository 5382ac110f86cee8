import { describeError, ERROR_STATUS, type ErrorCode, type Locale, translate } from '@maas/api';
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';

export interface Envelope {
  error: { code: ErrorCode; message: string; details: Record<string, unknown> | null; request_id: string };
}

/** A fresh request id, for requests that did not bring a well-formed one of their own. */
export function newRequestId(): string {
  return `req_${randomUUID().replaceAll('-', '')}`;
}

export function envelope(code: ErrorCode, message: string, details: Record<string, unknown> | null, requestId: string): Envelope {
  return { error: { code, message, details, request_id: requestId } };
}

/** Sends any error as the contract's envelope; the status and message come from one mapping. */
export function sendErrorEnvelope(reply: FastifyReply, error: unknown, locale: Locale): FastifyReply {
  const body = describeError(error, locale);
  if (body.headers) void reply.headers(body.headers);
  return reply
    .code(body.status)
    .type('application/json; charset=utf-8')
    .send(envelope(body.code, body.message, body.details, reply.request.id));
}

/** Errors Fastify raises itself before a route runs (body parsing, limits). */
export function fastifyErrorToEnvelope(error: { code?: string; statusCode?: number }, locale: Locale, requestId: string) {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, body: envelope('INVALID_REQUEST', translate(locale, 'MALFORMED_JSON'), null, requestId) };
    case 'MAAS_JSON_TOO_DEEP':
      return { status: 400, body: envelope('INVALID_REQUEST', translate(locale, 'JSON_TOO_DEEP'), null, requestId) };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: envelope('PAYLOAD_TOO_LARGE', translate(locale, 'PAYLOAD_TOO_LARGE'), null, requestId) };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 400, body: envelope('INVALID_REQUEST', translate(locale, 'UNSUPPORTED_CONTENT_TYPE'), null, requestId) };
    default:
      break;
  }
  const status = error.statusCode ?? 500;
  if (status < 400 || status >= 500) return null;
  // Other client errors raised by Fastify or a plugin keep their meaning where the contract has a
  // code for it; anything else is the caller's malformed request.
  const code = CLIENT_ERROR_CODES[status] ?? 'INVALID_REQUEST';
  return { status: ERROR_STATUS[code], body: envelope(code, translate(locale, code), null, requestId) };
}

const CLIENT_ERROR_CODES: Partial<Record<number, ErrorCode>> = {
  401: 'UNAUTHORIZED',
  402: 'PAYMENT_REQUIRED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'RATE_LIMITED',
};

/**
 * Node's HTTP parser rejects some requests before Fastify sees them: too slow (408), headers too
 * large (431), not HTTP at all (400). No request was parsed, so no language was negotiated: the
 * answer is the envelope in the default language, and the connection is closed, as node does.
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
  const body = JSON.stringify(envelope('INVALID_REQUEST', translate('zh-CN', key), null, requestId));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
