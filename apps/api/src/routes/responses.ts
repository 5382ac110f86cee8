import { authenticateRequest, type Platform } from '@maas/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { contextFromRequest } from '../request-context.js';
import { openAiError, openAiLocale } from '../surfaces/openai-chat.js';
import { createResponse } from '../surfaces/openai-responses.js';
import { openEventStream } from './sse.js';

function localeOf(request: FastifyRequest) {
  const accept = request.headers['accept-language'];
  return openAiLocale(Array.isArray(accept) ? accept[0] : accept, request.locale);
}

function sendOpenAiError(reply: FastifyReply, error: unknown) {
  const { status, headers, payload } = openAiError(error, localeOf(reply.request));
  if (headers) void reply.headers(headers);
  return reply.code(status).send(payload);
}

/**
 * `POST /v1/responses`, registered inside the /v1 plugin (so its bad-JSON and size errors are
 * OpenAI-shaped too): HTTP wiring only, the protocol lives in surfaces/openai-responses.ts.
 */
export function registerResponsesRoute(gateway: FastifyInstance, platform: Platform): void {
  gateway.post('/responses', { helmet: false }, async (request, reply) => {
    void reply.header('x-content-type-options', 'nosniff');
    try {
      const ctx = contextFromRequest(platform, request, reply);
      // The rate-limit hook already resolved the caller when it could: authenticate once.
      ctx.actor ??= await authenticateRequest(ctx);
      const answer = await createResponse(platform, {
        actor: ctx.actor,
        body: request.body,
        signal: ctx.clientSignal(),
        requestId: request.id,
        locale: localeOf(request),
      });
      if (answer.kind === 'json') return answer.body;
      const events = openEventStream(reply, request.id);
      try {
        for await (const frame of answer.frames) events.write(frame.data, frame.event);
      } finally {
        events.end();
      }
      return reply;
    } catch (error) {
      if (reply.sent) return reply;
      return sendOpenAiError(reply, error);
    }
  });
}
