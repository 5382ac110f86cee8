import {
  authenticateRequest,
  type ChatMessage,
  completeModelCall,
  describeError,
  listModelsForGateway,
  type Platform,
  prepareModelCall,
  streamModelCall,
} from '@maas/api';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { contextFromRequest } from '../request-context.js';
import { renderOpenAiError, renderOpenAiUnknownEndpoint, sendOpenAiError, sendRendered } from '../surfaces/errors/index.js';
import { openEventStream } from './sse.js';

const ContentPart = z.object({ type: z.string(), text: z.string().optional() }).passthrough();
const GatewayMessage = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
    content: z.union([z.string(), z.array(ContentPart), z.null()]),
    name: z.string().max(128).optional(),
  })
  .passthrough();

const CompletionRequest = z
  .object({
    model: z.string().min(1).max(200),
    messages: z.array(GatewayMessage).min(1).max(2_000),
    stream: z.boolean().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).passthrough().nullish(),
    max_tokens: z.number().int().positive().max(1_000_000).nullish(),
    max_completion_tokens: z.number().int().positive().max(1_000_000).nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
  })
  .passthrough();

function toChatMessages(messages: z.infer<typeof GatewayMessage>[]): ChatMessage[] {
  return messages.map((message) => ({
    role: message.role === 'developer' ? 'system' : message.role,
    content:
      typeof message.content === 'string'
        ? message.content
        : (message.content ?? []).map((part) => (part.type === 'text' && part.text ? part.text : '')).join(''),
    ...(message.name ? { name: message.name } : {}),
  }));
}

/** `/v1/chat/completions` and `/v1/models`: the OpenAI wire protocol over platform API keys. */
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
        const ctx = contextFromRequest(platform, request, reply);
        try {
          const actor = await authenticateRequest(ctx);
          return { object: 'list', data: await listModelsForGateway(platform, actor) };
        } catch (error) {
          return sendOpenAiError(reply, error);
        }
      });

      // Browser-oriented security headers mean nothing to the API clients of this route, and setting
      // a dozen of them was a measurable share of the gateway's per-request CPU; nosniff stays.
      gateway.post('/chat/completions', { helmet: false }, async (request, reply) => {
        void reply.header('x-content-type-options', 'nosniff');
        const ctx = contextFromRequest(platform, request, reply);
        try {
          const actor = await authenticateRequest(ctx);
          const parsed = CompletionRequest.safeParse(request.body);
          if (!parsed.success) return sendOpenAiError(reply, parsed.error);
          const { model, messages, stream, stream_options: streamOptions, ...rest } = parsed.data;
          const parameters: Record<string, unknown> = {};
          for (const [key, value] of Object.entries(rest)) if (value !== null && value !== undefined) parameters[key] = value;

          const call = await prepareModelCall(platform, {
            actor,
            model,
            messages: toChatMessages(messages),
            parameters,
            signal: ctx.clientSignal(),
          });
          if (!stream) {
            const { completion, outcome } = await completeModelCall(platform, call);
            completion.model = model;
            completion.usage = {
              prompt_tokens: outcome.inputTokens,
              completion_tokens: outcome.outputTokens,
              total_tokens: outcome.inputTokens + outcome.outputTokens,
            };
            return completion;
          }

          const streaming = await streamModelCall(platform, call);
          const includeUsage = streamOptions?.include_usage === true;
          const events = openEventStream(reply, request.id);
          try {
            for await (const chunk of streaming.chunks) {
              // We always ask the upstream for usage (billing needs it); pass it on only if asked.
              if (chunk.choices.length === 0 && chunk.usage && !includeUsage) continue;
              if (!includeUsage && chunk.usage) chunk.usage = undefined;
              chunk.model = model;
              events.write(JSON.stringify(chunk));
            }
            events.write('[DONE]');
          } catch (error) {
            events.write(JSON.stringify(renderOpenAiError(describeError(error, request.locale), request.id).body));
          } finally {
            events.end();
          }
          return reply;
        } catch (error) {
          if (reply.sent) return reply;
          return sendOpenAiError(reply, error);
        }
      });
    },
    { prefix: '/v1' },
  );
}
