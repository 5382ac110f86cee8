import type { Platform } from '@maas/api';
import type { FastifyInstance } from 'fastify';
import { protocolLocale, sendOpenAiError } from '../surfaces/errors/index.js';
import { createResponse } from '../surfaces/openai-responses.js';
import { callerOf } from './caller.js';
import { openEventStream } from './sse.js';

/**
 * `POST /v1/responses`, registered inside the /v1 plugin (so its bad-JSON and size errors are
 * OpenAI-shaped too): HTTP wiring only, the protocol lives in surfaces/openai-responses.ts.
 */
export function registerResponsesRoute(gateway: FastifyInstance, platform: Platform): void {
  gateway.post('/responses', { helmet: false }, async (request, reply) => {
    void reply.header('x-content-type-options', 'nosniff');
    try {
      const { ctx, actor } = await callerOf(platform, request, reply);
      const answer = await createResponse(platform, {
        actor,
        body: request.body,
        signal: ctx.clientSignal(),
        requestId: request.id,
        locale: protocolLocale(request),
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
