import {
  AppError,
  authenticateRequest,
  type ChatMessage,
  completeModelCall,
  describeError,
  listModelsForGateway,
  type Platform,
  prepareModelCall,
  streamModelCall,
} from '@maas/api';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { contextFromRequest } from '../request-context.js';
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

// OpenAI clients parse this shape; the codes follow OpenAI's where one exists.
const OPENAI_ERROR: Record<string, { type: string; code: string | null }> = {
  INVALID_REQUEST: { type: 'invalid_request_error', code: null },
  UNAUTHORIZED: { type: 'invalid_request_error', code: 'invalid_api_key' },
  PAYMENT_REQUIRED: { type: 'insufficient_quota', code: 'insufficient_quota' },
  FORBIDDEN: { type: 'permission_error', code: null },
  NOT_FOUND: { type: 'invalid_request_error', code: 'model_not_found' },
  RATE_LIMITED: { type: 'rate_limit_error', code: 'rate_limit_exceeded' },
  PAYLOAD_TOO_LARGE: { type: 'invalid_request_error', code: null },
};

function openAiError(error: unknown, locale: 'zh-CN' | 'en') {
  const body = describeError(error, locale);
  const mapped = OPENAI_ERROR[body.code] ?? { type: 'api_error', code: body.code.toLowerCase() };
  const param = typeof body.details?.field === 'string' ? body.details.field : null;
  return {
    status: body.status,
    headers: body.headers,
    payload: { error: { message: body.message, type: mapped.type, param, code: mapped.code } },
  };
}

/** Fastify's own 4xx (bad JSON, body too large, content type) as the platform error they stand for. */
function clientErrorFromFastify(error: unknown): AppError | null {
  const status = typeof error === 'object' && error !== null && 'statusCode' in error ? error.statusCode : undefined;
  if (typeof status !== 'number' || status < 400 || status >= 500) return null;
  return status === 413 ? new AppError('PAYLOAD_TOO_LARGE') : new AppError('INVALID_REQUEST', { message: 'MALFORMED_JSON' });
}

function sendOpenAiError(reply: FastifyReply, error: unknown) {
  const { status, headers, payload } = openAiError(error, reply.request.locale);
  if (headers) void reply.headers(headers);
  return reply.code(status).send(payload);
}

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
      // Errors before a route runs (bad JSON, size) must be OpenAI-shaped here as well.
      gateway.setErrorHandler((error, _request, reply) => sendOpenAiError(reply, clientErrorFromFastify(error) ?? error));
      gateway.setNotFoundHandler((_request, reply) =>
        reply.code(404).send({ error: { message: 'Unknown endpoint', type: 'invalid_request_error', param: null, code: 'unknown_url' } }),
      );

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
            events.write(JSON.stringify(openAiError(error, request.locale).payload));
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
