import { authenticateRequest, completeChatCall, describeError, type Platform, prepareChatCall, streamChatCall } from '@maas/api';
import type { FastifyInstance } from 'fastify';
import { contextFromRequest } from '../request-context.js';
import {
  AnthropicStreamEncoder,
  formatSse,
  MessagesRequest,
  messageId,
  toAnthropicMessage,
  toChatRequest,
} from '../surfaces/anthropic-messages.js';
import { protocolLocale, renderAnthropicError, sendAnthropicError } from '../surfaces/errors/index.js';

/** `POST /v1/messages`: Anthropic's Messages API over platform API keys, to a model on any provider kind. */
export async function registerAnthropicMessagesRoutes(app: FastifyInstance, platform: Platform): Promise<void> {
  await app.register(async (scope) => {
    scope.setErrorHandler((error, _request, reply) => sendAnthropicError(reply, error));

    scope.post('/v1/messages', { helmet: false }, async (request, reply) => {
      void reply.header('x-content-type-options', 'nosniff');
      const ctx = contextFromRequest(platform, request, reply);
      try {
        // The rate-limit hook may have authenticated the caller already.
        const actor = ctx.actor ?? (await authenticateRequest(ctx));
        const parsed = MessagesRequest.safeParse(request.body);
        if (!parsed.success) return sendAnthropicError(reply, parsed.error);
        const { model, stream = false } = parsed.data;
        const call = await prepareChatCall(platform, {
          actor,
          model,
          request: toChatRequest(parsed.data),
          stream,
          signal: ctx.clientSignal(),
          requestId: request.id,
        });
        const id = messageId(request.id);
        if (!stream) {
          const { result, outcome } = await completeChatCall(platform, call);
          return toAnthropicMessage(result, model, outcome.usage, id);
        }

        const streaming = await streamChatCall(platform, call);
        reply.hijack();
        const raw = reply.raw;
        raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
          'x-request-id': request.id,
        });
        const write = (text: string) => {
          if (!raw.destroyed) raw.write(text);
        };
        const encoder = new AnthropicStreamEncoder(id, model);
        // message_start carries the prompt as counted; message_delta gives the billed usage, which the SDKs take as final.
        for (const frame of encoder.start(call.countedInputTokens)) write(formatSse(frame));
        try {
          for await (const event of streaming.events) {
            for (const frame of encoder.accept(event)) write(formatSse(frame));
          }
          const outcome = await streaming.outcome;
          for (const frame of encoder.finish(outcome.usage)) write(formatSse(frame));
        } catch (error) {
          const { body } = renderAnthropicError(describeError(error, protocolLocale(request)), request.id);
          write(formatSse({ event: 'error', data: { error: body.error } }));
        } finally {
          if (!raw.destroyed) raw.end();
        }
        return reply;
      } catch (error) {
        if (reply.sent) return reply;
        return sendAnthropicError(reply, error);
      }
    });
  });
}
