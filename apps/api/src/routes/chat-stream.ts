import { authenticateRequest, ChatInput, chatWithApplication, openChatStream, type Platform } from '@maas/api';
import type { FastifyInstance } from 'fastify';
import { contextFromRequest } from '../request-context.js';
import { renderChatStreamError, sendRestError } from '../surfaces/errors/index.js';
import { openEventStream } from './sse.js';

/**
 * `POST /api/v1/applications/{app_id}/chat` is served here rather than by trpc-to-openapi, which
 * cannot stream: `stream: true` answers text/event-stream, `stream: false` the same JSON as the
 * router's `chat.send` (which stays in the OpenAPI document and on tRPC).
 */
export async function registerChatStreamRoutes(
  app: FastifyInstance,
  platform: Platform,
  helmetHeaders: readonly (readonly [string, string])[],
): Promise<void> {
  // A hot path: helmet's headers as computed once (static-helmet.ts), not rebuilt per request.
  const options = { helmet: false as const, config: { helmetHeaders } };
  app.post<{ Params: { app_id: string } }>('/api/v1/applications/:app_id/chat', options, async (request, reply) => {
    const ctx = contextFromRequest(platform, request, reply);
    try {
      // The rate-limit hook has usually resolved the caller already: authenticate once per request.
      const actor = (ctx.actor ??= await authenticateRequest(ctx));
      const body = typeof request.body === 'object' && request.body !== null ? request.body : {};
      const input = ChatInput.parse({ ...body, app_id: request.params.app_id });
      if (!input.stream) return await chatWithApplication(platform, ctx, actor, input);

      const events = await openChatStream(platform, ctx, actor, input);
      const stream = openEventStream(reply, request.id);
      try {
        for await (const event of events) stream.write(JSON.stringify(event));
      } catch (error) {
        // Headers are gone already: the failure can only travel as a last event.
        stream.write(JSON.stringify(renderChatStreamError(error, request.locale, request.id)));
      } finally {
        stream.end();
      }
      return reply;
    } catch (error) {
      if (reply.sent) return reply;
      return sendRestError(reply, error);
    }
  });
}
