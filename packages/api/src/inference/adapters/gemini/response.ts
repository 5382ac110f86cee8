// A Gemini answer (whole, or one streamed chunk) in the platform's terms.
import { randomBytes } from 'node:crypto';
import type { ChatChoice, ChatResult, FinishReason, ToolCall, Usage } from '../../types.js';
import type { GeminiCandidate, GeminiResponse, GeminiResponsePart, GeminiUsageMetadata } from './wire.js';

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/**
 * Gemini's usageMetadata as platform usage. promptTokenCount already includes the cached content;
 * tool-use prompt tokens (Gemini's own tool runs) are input too; thoughts are output the model was
 * paid to write, so they bill as output.
 */
export function usageFromGemini(metadata: GeminiUsageMetadata | undefined): Usage | null {
  if (!metadata || (metadata.promptTokenCount === undefined && metadata.candidatesTokenCount === undefined)) return null;
  const reasoningTokens = count(metadata.thoughtsTokenCount);
  return {
    inputTokens: count(metadata.promptTokenCount) + count(metadata.toolUsePromptTokenCount),
    outputTokens: count(metadata.candidatesTokenCount) + reasoningTokens,
    cachedInputTokens: count(metadata.cachedContentTokenCount),
    cacheWriteInputTokens: 0,
    reasoningTokens,
  };
}

/** Gemini's finishReason in OpenAI's words; a stop that called functions is `tool_calls`. */
export function finishReasonFromGemini(reason: string | undefined, calledTools: boolean): FinishReason | null {
  switch (reason) {
    case undefined:
    case 'FINISH_REASON_UNSPECIFIED':
      return null;
    case 'STOP':
      return calledTools ? 'tool_calls' : 'stop';
    case 'MAX_TOKENS':
      return 'length';
    case 'SAFETY':
    case 'RECITATION':
    case 'BLOCKLIST':
    case 'PROHIBITED_CONTENT':
    case 'SPII':
    case 'IMAGE_SAFETY':
      return 'content_filter';
    default:
      // MALFORMED_FUNCTION_CALL, LANGUAGE, OTHER, …: the model stopped for a reason of its own.
      return calledTools ? 'tool_calls' : 'stop';
  }
}

/**
 * Gemini gives function calls no ids (except where it sends `id`); OpenAI-style clients need one to
 * answer. Each answer gets its own random stem so ids never repeat across the turns of a
 * conversation, and the n-th call of the answer is `call_<stem>_<n>`.
 */
export class ToolCallIds {
  private readonly stem = randomBytes(6).toString('hex');
  private next = 0;

  idFor(call: GeminiResponsePart['functionCall']): string {
    const n = this.next++;
    return typeof call?.id === 'string' && call.id !== '' ? call.id : `call_${this.stem}_${n}`;
  }
}

/** A functionCall's args as the JSON text OpenAI-style clients expect. */
export function argumentsText(args: unknown): string {
  return JSON.stringify(args ?? {});
}

function choiceFrom(candidate: GeminiCandidate, position: number, ids: ToolCallIds): ChatChoice {
  let text = '';
  const reasoning: { text: string; signature?: string }[] = [];
  const toolCalls: ToolCall[] = [];
  for (const part of candidate.content?.parts ?? []) {
    if (part.functionCall) {
      toolCalls.push({
        id: ids.idFor(part.functionCall),
        name: part.functionCall.name ?? '',
        arguments: argumentsText(part.functionCall.args),
      });
    } else if (typeof part.text === 'string') {
      if (part.thought) reasoning.push({ text: part.text, ...(part.thoughtSignature ? { signature: part.thoughtSignature } : {}) });
      else text += part.text;
    }
  }
  return {
    index: candidate.index ?? position,
    text,
    toolCalls,
    ...(reasoning.length > 0 ? { reasoning } : {}),
    finishReason: finishReasonFromGemini(candidate.finishReason ?? 'STOP', toolCalls.length > 0),
    ...(candidate.logprobsResult !== undefined ? { logprobs: candidate.logprobsResult } : {}),
  };
}

/** A whole generateContent answer. A prompt blocked before any candidate is an empty content_filter answer. */
export function resultFromGemini(response: GeminiResponse, now: () => number = Date.now): ChatResult {
  const ids = new ToolCallIds();
  const candidates = response.candidates ?? [];
  const choices: ChatChoice[] =
    candidates.length > 0
      ? candidates.map((candidate, position) => choiceFrom(candidate, position, ids))
      : [{ index: 0, text: '', toolCalls: [], finishReason: response.promptFeedback?.blockReason ? 'content_filter' : 'stop' }];
  return {
    id: response.responseId ?? `gemini-${randomBytes(8).toString('hex')}`,
    created: Math.floor(now() / 1000),
    choices,
    usage: usageFromGemini(response.usageMetadata),
  };
}
