import {
  type Actor,
  answerEvents,
  completeAsApp,
  completeChatCall,
  describeError,
  isAppModel,
  type Locale,
  parseOpenAiResponsesRequest,
  type Platform,
  prepareChatCall,
  ResponsesStreamWriter,
  type StreamingChatCall,
  streamChatCall,
  toResponsesObject,
} from '@maas/api';
import { renderOpenAiError } from './errors/index.js';

// /v1/responses ⇄ the inference layer: the OpenAI Responses API subset that clients use (the
// Vercel AI SDK's default `openai(model)`, the `openai` client's responses.create), over any
// provider kind, billed like every other surface. Nothing is stored (store: false semantics).

/** One SSE frame: the Responses API names each event after its type, as OpenAI does. */
export interface ResponsesFrame {
  event: string;
  data: string;
}

export type ResponsesAnswer = { kind: 'json'; body: Record<string, unknown> } | { kind: 'stream'; frames: AsyncIterable<ResponsesFrame> };

/** One /v1/responses call: validated, reserved, then answered as a response object or as its event stream. */
export async function createResponse(
  platform: Platform,
  call: { actor: Actor; body: unknown; signal: AbortSignal; requestId: string; locale: Locale },
): Promise<ResponsesAnswer> {
  const parsed = parseOpenAiResponsesRequest(call.body);
  // `model: "app_<id>"`: the application answers, its tools run server-side (issue 16 part 4).
  if (isAppModel(parsed.model)) {
    const answer = await completeAsApp(platform, { ...call, model: parsed.model, request: parsed.request });
    if (!parsed.stream) return { kind: 'json', body: toResponsesObject(answer.result, parsed.model, parsed.echo, answer.usage) };
    const writer = new ResponsesStreamWriter(parsed.model, parsed.echo);
    const out: ResponsesFrame[] = writer.start().map(frame);
    for (const event of answerEvents(answer)) out.push(...writer.write(event).map(frame));
    out.push(...writer.finish(answer.usage).map(frame));
    return {
      kind: 'stream',
      frames: (async function* () {
        yield* out;
      })(),
    };
  }
  const prepared = await prepareChatCall(platform, {
    actor: call.actor,
    model: parsed.model,
    request: parsed.request,
    stream: parsed.stream,
    signal: call.signal,
    requestId: call.requestId,
  });
  if (!parsed.stream) {
    const { result, outcome } = await completeChatCall(platform, prepared);
    return { kind: 'json', body: toResponsesObject(result, parsed.model, parsed.echo, outcome.usage) };
  }
  const streaming = await streamChatCall(platform, prepared);
  return { kind: 'stream', frames: frames(streaming, new ResponsesStreamWriter(parsed.model, parsed.echo), call.locale) };
}

function frame(event: Record<string, unknown>): ResponsesFrame {
  return { event: String(event.type), data: JSON.stringify(event) };
}

async function* frames(streaming: StreamingChatCall, writer: ResponsesStreamWriter, locale: Locale): AsyncGenerator<ResponsesFrame> {
  for (const event of writer.start()) yield frame(event);
  try {
    for await (const event of streaming.events) for (const out of writer.write(event)) yield frame(out);
    // The engine settles when the events end; response.completed carries the usage it billed.
    const outcome = await streaming.outcome;
    for (const out of writer.finish(outcome.usage)) yield frame(out);
  } catch (error) {
    const { error: body } = renderOpenAiError(describeError(error, locale), '').body;
    for (const out of writer.fail({ message: body.message, code: body.code ?? body.type, param: body.param })) yield frame(out);
  }
}
