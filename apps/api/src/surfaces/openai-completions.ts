import {
  type Actor,
  completeChatCall,
  describeError,
  type Locale,
  parseOpenAiChatRequest,
  parseOpenAiCompletionsRequest,
  type Platform,
  prepareChatCall,
  streamChatCall,
  TextCompletionChunkWriter,
  toOpenAiTextCompletion,
} from '@maas/api';
import { renderOpenAiError } from './errors/index.js';
import type { ChatCompletionsAnswer } from './openai-chat.js';

// /v1/completions (legacy text completion) ⇄ the inference layer: the prompt is one user message of
// a chat call on a model with `chat` (see protocols/openai-completions.ts for why every provider
// gets a chat request), answered in the text_completion shape, JSON or SSE, billed as chat.

export async function completions(
  platform: Platform,
  call: { actor: Actor; body: unknown; signal: AbortSignal; requestId: string; locale: Locale },
): Promise<ChatCompletionsAnswer> {
  const legacy = parseOpenAiCompletionsRequest(call.body);
  const parsed = parseOpenAiChatRequest(legacy.chatBody);
  const prepared = await prepareChatCall(platform, {
    actor: call.actor,
    model: parsed.model,
    request: parsed.request,
    stream: parsed.stream,
    openAiBody: legacy.chatBody,
    signal: call.signal,
    requestId: call.requestId,
  });
  const shape = { model: parsed.model, prompt: legacy.prompt, echo: legacy.echo };
  if (!parsed.stream) {
    const { result, outcome } = await completeChatCall(platform, prepared);
    return { kind: 'json', body: toOpenAiTextCompletion(result, shape, outcome.usage) };
  }
  const streaming = await streamChatCall(platform, prepared);
  const writer = new TextCompletionChunkWriter(
    `cmpl-${streaming.target.providerId}-${Date.now().toString(36)}`,
    Math.floor(Date.now() / 1000),
    shape,
  );
  async function* data(): AsyncGenerator<string> {
    try {
      for await (const event of streaming.events) yield* writer.write(event, parsed.includeUsage);
      yield '[DONE]';
    } catch (error) {
      yield JSON.stringify(renderOpenAiError(describeError(error, call.locale), call.requestId).body);
    }
  }
  return { kind: 'stream', data: data() };
}
