import {
  type Actor,
  completeChatCall,
  describeError,
  type Locale,
  OpenAiChunkWriter,
  parseOpenAiChatRequest,
  type Platform,
  prepareChatCall,
  type StreamingChatCall,
  streamChatCall,
  toOpenAiCompletion,
} from '@maas/api';

// /v1/chat/completions ⇄ the inference layer. The client's body goes to an OpenAI-compatible
// upstream with minimal edits, and its stream chunks come back as the upstream's own bytes (the
// model name aside); any other upstream's answer is rebuilt into OpenAI's shape from the events.

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

export function openAiError(error: unknown, locale: Locale) {
  const body = describeError(error, locale);
  const mapped = OPENAI_ERROR[body.code] ?? { type: 'api_error', code: body.code.toLowerCase() };
  const param = typeof body.details?.field === 'string' ? body.details.field : null;
  return {
    status: body.status,
    headers: body.headers,
    payload: { error: { message: body.message, type: mapped.type, param, code: mapped.code } },
  };
}

/** OpenAI's ecosystem expects English: another language only when the request asks for one. */
export function openAiLocale(acceptLanguage: string | undefined, negotiated: Locale): Locale {
  return acceptLanguage ? negotiated : 'en';
}

export type ChatCompletionsAnswer = { kind: 'json'; body: Record<string, unknown> } | { kind: 'stream'; data: AsyncIterable<string> };

/** One /v1/chat/completions call: validated, reserved, then answered as JSON or as SSE data payloads. */
export async function chatCompletions(
  platform: Platform,
  call: { actor: Actor; body: unknown; signal: AbortSignal; requestId: string; locale: Locale },
): Promise<ChatCompletionsAnswer> {
  const parsed = parseOpenAiChatRequest(call.body);
  const prepared = await prepareChatCall(platform, {
    actor: call.actor,
    model: parsed.model,
    request: parsed.request,
    stream: parsed.stream,
    openAiBody: call.body as Record<string, unknown>,
    signal: call.signal,
    requestId: call.requestId,
  });
  if (!parsed.stream) {
    const { result, outcome } = await completeChatCall(platform, prepared);
    return { kind: 'json', body: toOpenAiCompletion(result, parsed.model, outcome.usage) };
  }
  const streaming = await streamChatCall(platform, prepared);
  return { kind: 'stream', data: sseData(streaming, parsed.model, parsed.includeUsage, call.locale) };
}

/** Replaces the upstream's model name in a passed-through chunk without parsing it again. */
function renamer(upstreamModel: string, model: string): (json: string) => string {
  if (upstreamModel === model) return (json) => json;
  const from = `"model":${JSON.stringify(upstreamModel)}`;
  const to = `"model":${JSON.stringify(model)}`;
  return (json) => json.replace(from, to);
}

async function* sseData(streaming: StreamingChatCall, model: string, includeUsage: boolean, locale: Locale): AsyncGenerator<string> {
  const rename = renamer(streaming.target.upstreamModel, model);
  let writer: OpenAiChunkWriter | null = null;
  let passthrough = false;
  try {
    for await (const event of streaming.events) {
      if (event.type === 'openai-chunk') {
        passthrough = true;
        // We always ask the upstream for usage (billing needs it); its usage-only chunk goes on only if asked.
        if (!includeUsage && event.json.includes('"choices":[]')) continue;
        yield rename(event.json);
        continue;
      }
      if (passthrough) continue;
      if (writer === null) {
        writer = new OpenAiChunkWriter(
          `chatcmpl-${streaming.target.providerId}-${Date.now().toString(36)}`,
          Math.floor(Date.now() / 1000),
          model,
        );
        yield writer.start();
      }
      const chunk = writer.write(event, includeUsage);
      if (chunk !== null) yield chunk;
    }
    yield '[DONE]';
  } catch (error) {
    yield JSON.stringify(openAiError(error, locale).payload);
  }
}
