// Input tokens Claude will count for a request, for the reservation. Over-estimating only holds a
// little more of the wallet for the call's duration; under-estimating must not happen silently.
import { countTextTokens } from '../../token-count.js';
import type { ChatRequest, ContentPart } from '../../types.js';

/**
 * Claude's tokenizer yields noticeably more tokens than OpenAI's o200k_base for the same text:
 * about 1.1–1.2× for English prose and more for code and CJK in published comparisons. The o200k
 * count (the tokenizer the platform ships) is scaled by this margin.
 */
export const CLAUDE_TOKENS_PER_O200K = 1.25;
/** Role markers and turn separators around each message. */
export const MESSAGE_FRAMING_TOKENS = 5;
/** The tool-use preamble Anthropic adds to the system prompt when tools are given (≈ 350 tokens per its pricing docs). */
export const TOOLS_PREAMBLE_TOKENS = 350;
/** Per tool definition, on top of its name, description and schema text. */
export const TOOL_FRAMING_TOKENS = 10;
/**
 * An image is resized to at most ~1.15 megapixels and costs width×height/750 tokens, so about 1,600
 * at most; its size is unknown without decoding it, so the maximum is reserved.
 */
export const IMAGE_TOKENS = 1_600;
/** A PDF page costs its text plus an image of the page: reserved as 3,000 per 50 kB of document (at least one page). */
export const DOCUMENT_TOKENS_PER_PAGE = 3_000;
const DOCUMENT_BYTES_PER_PAGE = 50_000;

function partTokens(part: ContentPart, texts: string[]): number {
  switch (part.type) {
    case 'text':
      texts.push(part.text);
      return 0;
    case 'image':
      return IMAGE_TOKENS;
    case 'file': {
      const bytes = part.source.kind === 'base64' ? Math.floor((part.source.data.length * 3) / 4) : 0;
      return DOCUMENT_TOKENS_PER_PAGE * Math.max(1, Math.ceil(bytes / DOCUMENT_BYTES_PER_PAGE));
    }
    case 'audio':
      // Refused before any call; nothing to reserve.
      return 0;
  }
}

export function estimateAnthropicInputTokens(request: ChatRequest): number {
  const texts: string[] = [];
  let fixed = 0;
  for (const message of request.messages) {
    fixed += MESSAGE_FRAMING_TOKENS;
    for (const part of message.content ?? []) fixed += partTokens(part, texts);
    for (const call of message.toolCalls ?? []) texts.push(call.name, call.arguments);
    for (const reasoning of message.reasoning ?? []) texts.push(reasoning.text);
    if (message.refusal) texts.push(message.refusal);
  }
  if (request.tools && request.tools.length > 0) {
    fixed += TOOLS_PREAMBLE_TOKENS;
    for (const tool of request.tools) {
      fixed += TOOL_FRAMING_TOKENS;
      texts.push(tool.name, tool.description ?? '', JSON.stringify(tool.parameters ?? {}));
    }
  }
  // One tokenizer pass over everything: counting is the costly part of the estimate.
  return fixed + Math.ceil(countTextTokens(texts.join('\n')) * CLAUDE_TOKENS_PER_O200K);
}
