import { AppError, authenticateRequest, listModelsForGateway, type Platform } from '@maas/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { contextFromRequest } from '../request-context.js';
import { chatCompletions, openAiError, openAiLocale } from '../surfaces/openai-chat.js';
import { registerResponsesRoute } from './responses.js';
import { openEventStream } from './sse.js';

/** Fastify's own 4xx (bad JSON, body too large, content type) as the platform error they stand for. */
function clientErrorFromFastify(error: unknown): AppError | null {
  const status = typeof error === 'object' && error !== null && 'statusCode' in error ? error.statusCode : undefined;
  if (typeof status !== 'number' || status < 400 || status >= 500) return null;
  return status === 413 ? new AppError('PAYLOAD_TOO_LARGE') : new AppError('INVALID_REQUEST', { message: 'MALFORMED_JSON' });
}

function localeOf(request: FastifyRequest) {
  const accept = request.headers['accept-language'];
  return openAiLocale(Array.isArray(accept) ? accept[0] : accept, request.locale);
}

function sendOpenAiError(reply: FastifyReply, error: unknown) {
  const { status, headers, payload } = openAiError(error, localeOf(reply.request));
  if (headers) void reply.headers(headers);
  return reply.code(status).send(payload);
}

/** The caller, as the rate-limit hook already resolved it (authentication runs once per request). */
async function actorOf(platform: Platform, request: FastifyRequest, reply: FastifyReply) {
  const ctx = contextFromRequest(platform, request, reply);
  ctx.actor ??= await authenticateRequest(ctx);
  return { ctx, actor: ctx.actor };
}

/** `/v1/chat/completions` and `/v1/models`: the OpenAI wire protocol over platform API keys. */
export async function registerGatewayRoutes(app: FastifyInstance, platform: Platform): Promise<void> {
  await app.register(
    async (gateway) => {
      // Errors before a route runs (bad JSON, size) must be OpenAI-shaped here as well.
      gateway.setErrorHandler((error, _request, reply) => sendOpenAiError(reply, clientErrorFromFastify(error) ?? error));
      gateway.setNotFoundHandler((_request, reply) =>
        reply.code(404).send({ error: { message: 'Unknown endpoint', type: 'invalid_request_error', param: null, code: 'unknown_url' } }),
      );

      gateway.get('/models', async (request, reply) => {
        try {
          const { actor } = await actorOf(platform, request, reply);
          return { object: 'list', data: await listModelsForGateway(platform, actor) };
        } catch (error) {
          return sendOpenAiError(reply, error);
        }
      });

      // Browser-oriented security headers mean nothing to the API clients of this route, and setting
      // a dozen of them was a measurable share of the gateway's per-request CPU; nosniff stays.
      gateway.post('/chat/completions', { helmet: false }, async (request, reply) => {
        void reply.header('x-content-type-options', 'nosniff');
        try {
          const { ctx, actor } = await actorOf(platform, request, reply);
          const answer = await chatCompletions(platform, {
            actor,
            body: request.body,
            signal: ctx.clientSignal(),
            requestId: request.id,
            locale: localeOf(request),
          });
          if (answer.kind === 'json') return answer.body;
          const events = openEventStream(reply, request.id);
          try {
            for await (const data of answer.data) events.write(data);
          } finally {
            events.end();
          }
          return reply;
        } catch (error) {
          if (reply.sent) return reply;
          return sendOpenAiError(reply, error);
        }
      });
      registerResponsesRoute(gateway, platform);
    },
    { prefix: '/v1' },
  );
}
