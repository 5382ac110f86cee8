import {
  answerEvents,
  completeAsApp,
  completeChatCall,
  describeError,
  isAppModel,
  type Platform,
  prepareChatCall,
  streamChatCall,
} from '@maas/api';
import type { FastifyInstance } from 'fastify';
import {
  AnthropicStreamEncoder,
  frameData,
  MessagesRequest,
  type SseFrame,
  messageId,
  toAnthropicMessage,
  toChatRequest,
} from '../surfaces/anthropic-messages.js';
import { protocolLocale, renderAnthropicError, sendAnthropicError } from '../surfaces/errors/index.js';
import { callerOf } from './caller.js';
import { openEventStream } from './sse.js';

/** `POST /v1/messages`: Anthropic's Messages API over platform API keys, to a model on any provider kind. */
export async function registerAnthropicMessagesRoutes(app: FastifyInstance, platform: Platform): Promise<void> {
  await app.register(async (scope) => {
    scope.setErrorHandler((error, _request, reply) => sendAnthropicError(reply, error));

    scope.post('/v1/messages', { helmet: false }, async (request, reply) => {
      void reply.header('x-content-type-options', 'nosniff');
      try {
        const { ctx, actor } = await callerOf(platform, request, reply);
        const parsed = MessagesRequest.safeParse(request.body);
        if (!parsed.success) return sendAnthropicError(reply, parsed.error);
        const { model, stream = false } = parsed.data;
        // `model: "app_<id>"`: the application answers, its tools run server-side (issue 16 part 4).
        if (isAppModel(model)) {
          const answer = await completeAsApp(platform, {
            actor,
            model,
            request: toChatRequest(parsed.data),
            signal: ctx.clientSignal(),
            requestId: request.id,
          });
          const id = messageId(request.id);
          if (!stream) return toAnthropicMessage(answer.result, model, answer.usage, id);
          const events = openEventStream(reply, request.id);
          const encoder = new AnthropicStreamEncoder(id, model);
          const frames = [...encoder.start(answer.usage.inputTokens)];
          for (const event of answerEvents(answer)) frames.push(...encoder.accept(event));
          frames.push(...encoder.finish(answer.usage));
          for (const frame of frames) events.write(frameData(frame), frame.event);
          events.end();
          return reply;
        }
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
        const events = openEventStream(reply, request.id);
        const write = (frame: SseFrame) => events.write(frameData(frame), frame.event);
        const encoder = new AnthropicStreamEncoder(id, model);
        // message_start carries the prompt as counted; message_delta gives the billed usage, which the SDKs take as final.
        for (const frame of encoder.start(call.countedInputTokens)) write(frame);
        try {
          for await (const event of streaming.events) {
            for (const frame of encoder.accept(event)) write(frame);
          }
          const outcome = await streaming.outcome;
          for (const frame of encoder.finish(outcome.usage)) write(frame);
        } catch (error) {
          const { body } = renderAnthropicError(describeError(error, protocolLocale(request)), request.id);
          write({ event: 'error', data: { error: body.error } });
        } finally {
          events.end();
        }
        return reply;
      } catch (error) {
        if (reply.sent) return reply;
        return sendAnthropicError(reply, error);
      }
    });
  });
}
