import {
  type Actor,
  answerEvents,
  completeAsApp,
  completeChatCall,
  describeError,
  isAppModel,
  type Locale,
  OpenAiChunkWriter,
  openAiCompletionText,
  parseOpenAiChatRequest,
  type Platform,
  prepareChatCall,
  type StreamingChatCall,
  streamChatCall,
  toOpenAiCompletion,
} from '@maas/api';
import { renderOpenAiError } from './errors/index.js';

// /v1/chat/completions ⇄ the inference layer. The client's body goes to an OpenAI-compatible
// upstream with minimal edits, and its stream chunks come back as the upstream's own text (the
// model name aside); any other upstream's answer is rebuilt into OpenAI's shape from the events.

export type ChatCompletionsAnswer =
  | { kind: 'json'; body: Record<string, unknown> }
  /** JSON already serialised: the upstream's own answer with its model name replaced. */
  | { kind: 'json-text'; text: string }
  | { kind: 'stream'; data: AsyncIterable<string> }
  /** An OpenAI upstream's stream written straight to the client: framed SSE events, `[DONE]` or an error event last. */
  | { kind: 'stream-pipe'; pipe: (write: (event: string) => void) => Promise<void> };

/** One /v1/chat/completions call: validated, reserved, then answered as JSON or as SSE data payloads. */
export async function chatCompletions(
  platform: Platform,
  call: { actor: Actor; body: unknown; bodyText?: string; signal: AbortSignal; requestId: string; locale: Locale },
): Promise<ChatCompletionsAnswer> {
  const parsed = parseOpenAiChatRequest(call.body);
  if (isAppModel(parsed.model)) return asApp(platform, call, parsed);
  const prepared = await prepareChatCall(platform, {
    actor: call.actor,
    model: parsed.model,
    request: parsed.request,
    stream: parsed.stream,
    openAiBody: call.body as Record<string, unknown>,
    ...(call.bodyText === undefined ? {} : { openAiBodyText: call.bodyText }),
    signal: call.signal,
    requestId: call.requestId,
  });
  if (!parsed.stream) {
    const { result, outcome } = await completeChatCall(platform, prepared);
    const text = openAiCompletionText(result, parsed.model, outcome.usage);
    if (text !== null) return { kind: 'json-text', text };
    return { kind: 'json', body: toOpenAiCompletion(result, parsed.model, outcome.usage) };
  }
  const streaming = await streamChatCall(platform, prepared);
  const { pipe } = streaming;
  if (pipe) {
    const rename = renamer(streaming.target.upstreamModel, parsed.model);
    return {
      kind: 'stream-pipe',
      pipe: async (write) => {
        try {
          await pipe({ write, rename, includeUsage: parsed.includeUsage });
          write('data: [DONE]\n\n');
        } catch (error) {
          write(`data: ${JSON.stringify(renderOpenAiError(describeError(error, call.locale), call.requestId).body)}\n\n`);
        }
      },
    };
  }
  return { kind: 'stream', data: sseData(streaming, parsed.model, parsed.includeUsage, call.locale, call.requestId) };
}

/** `model: "app_<id>"`: the application answers, its tools run server-side (issue 16 part 4). */
async function asApp(
  platform: Platform,
  call: { actor: Actor; signal: AbortSignal; requestId: string },
  parsed: ReturnType<typeof parseOpenAiChatRequest>,
): Promise<ChatCompletionsAnswer> {
  const answer = await completeAsApp(platform, { ...call, model: parsed.model, request: parsed.request });
  if (!parsed.stream) return { kind: 'json', body: toOpenAiCompletion(answer.result, parsed.model, answer.usage) };
  const writer = new OpenAiChunkWriter(`chatcmpl-${call.requestId}`, answer.result.created, parsed.model);
  async function* data(): AsyncGenerator<string> {
    yield writer.start();
    for (const event of answerEvents(answer)) {
      const chunk = writer.write(event, parsed.includeUsage);
      if (chunk !== null) yield chunk;
    }
    yield '[DONE]';
  }
  return { kind: 'stream', data: data() };
}

/** Replaces the upstream's model name in a passed-through chunk without parsing it again. */
function renamer(upstreamModel: string, model: string): (json: string) => string {
  if (upstreamModel === model) return (json) => json;
  const from = `"model":${JSON.stringify(upstreamModel)}`;
  const to = `"model":${JSON.stringify(model)}`;
  return (json) => json.replace(from, to);
}

async function* sseData(
  streaming: StreamingChatCall,
  model: string,
  includeUsage: boolean,
  locale: Locale,
  requestId: string,
): AsyncGenerator<string> {
  let writer: OpenAiChunkWriter | null = null;
  try {
    for await (const event of streaming.events) {
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
    yield JSON.stringify(renderOpenAiError(describeError(error, locale), requestId).body);
  }
}
