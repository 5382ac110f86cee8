import { listModelsForGateway, type Platform } from '@maas/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { callerOf } from './caller.js';
import { protocolLocale, renderOpenAiUnknownEndpoint, sendOpenAiError, sendRendered } from '../surfaces/errors/index.js';
import { chatCompletions } from '../surfaces/openai-chat.js';
import { completions } from '../surfaces/openai-completions.js';
import { embeddings } from '../surfaces/openai-embeddings.js';
import { registerMediaRoutes } from './media.js';
import { registerResponsesRoute } from './responses.js';
import { registerVideoRoutes } from './videos.js';
import { openEventStream } from './sse.js';

/** `/v1/chat/completions`, `/v1/completions`, `/v1/embeddings` and `/v1/models`: the OpenAI wire protocol over platform API keys. */
export async function registerGatewayRoutes(app: FastifyInstance, platform: Platform): Promise<void> {
  await app.register(
    async (gateway) => {
      // Errors before a route runs (bad JSON, size, content type, the rate limit) are OpenAI-shaped
      // here as well; each keeps the meaning the one conversion gives it.
      gateway.setErrorHandler((error, _request, reply) => sendOpenAiError(reply, error));
      // The OpenAI protocol is JSON only. Fastify would hand a text/plain body to the route as a
      // string, whose schema error names no field; refused here, it is the 415 it is.
      gateway.removeContentTypeParser('text/plain');
      gateway.setNotFoundHandler((request, reply) => sendRendered(reply, renderOpenAiUnknownEndpoint(request.id)));

      gateway.get('/models', async (request, reply) => {
        try {
          const { actor } = await callerOf(platform, request, reply);
          return { object: 'list', data: await listModelsForGateway(platform, actor) };
        } catch (error) {
          return sendOpenAiError(reply, error);
        }
      });

      // Chat Completions and legacy Completions answer alike: JSON, or SSE data payloads.
      const chatLike = (answer: typeof chatCompletions | typeof completions) => async (request: FastifyRequest, reply: FastifyReply) => {
        void reply.header('x-content-type-options', 'nosniff');
        try {
          const { ctx, actor } = await callerOf(platform, request, reply);
          const result = await answer(platform, {
            actor,
            body: request.body,
            ...(request.jsonText === undefined ? {} : { bodyText: request.jsonText }),
            signal: ctx.clientSignal(),
            requestId: request.id,
            locale: protocolLocale(request),
          });
          if (result.kind === 'json') return result.body;
          if (result.kind === 'json-text') return reply.type('application/json; charset=utf-8').send(result.text);
          const events = openEventStream(reply, request.id);
          try {
            if (result.kind === 'stream-pipe') await result.pipe(events.writeFramed);
            else for await (const data of result.data) events.write(data);
          } finally {
            events.end();
          }
          return reply;
        } catch (error) {
          if (reply.sent) return reply;
          return sendOpenAiError(reply, error);
        }
      };
      // Browser-oriented security headers mean nothing to the API clients of this route, and setting
      // a dozen of them was a measurable share of the gateway's per-request CPU; nosniff stays.
      gateway.post('/chat/completions', { helmet: false }, chatLike(chatCompletions));
      gateway.post('/completions', { helmet: false }, chatLike(completions));

      gateway.post('/embeddings', { helmet: false }, async (request, reply) => {
        void reply.header('x-content-type-options', 'nosniff');
        try {
          const { ctx, actor } = await callerOf(platform, request, reply);
          return await embeddings(platform, { actor, body: request.body, signal: ctx.clientSignal(), requestId: request.id });
        } catch (error) {
          return sendOpenAiError(reply, error);
        }
      });
      registerResponsesRoute(gateway, platform);
      await registerMediaRoutes(gateway, platform);
      await registerVideoRoutes(gateway, platform);
    },
    { prefix: '/v1' },
  );
}
