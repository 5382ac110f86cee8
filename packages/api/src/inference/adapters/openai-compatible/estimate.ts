import { countTextTokens, countTextTokensCached } from '../../token-count.js';
import type { ChatRequest, ContentPart } from '../../types.js';

// Upstreams frame messages with a few tokens each, which a plain count does not see.
const FRAMING_TOKENS_PER_MESSAGE = 4;
const FRAMING_TOKENS_FIXED = 16;
// OpenAI's most for one image at high detail (6 tiles of 170 plus 85); low detail is 85.
const IMAGE_TOKENS = 1_105;
const LOW_DETAIL_IMAGE_TOKENS = 85;

function partTokens(part: ContentPart): number {
  switch (part.type) {
    case 'text':
      return countTextTokensCached(part.text);
    case 'image':
      return part.detail === 'low' ? LOW_DETAIL_IMAGE_TOKENS : IMAGE_TOKENS;
    case 'audio':
      // base64 of compressed audio: a generous token per 32 bytes of payload (≈ 10 tokens a second of wav).
      return Math.ceil(part.data.length / 32) + 50;
    case 'file':
      // A document's text is never more tokens than a token per 3 bytes of it.
      return part.source.kind === 'base64' ? Math.ceil((part.source.data.length * 3) / 4 / 3) : 2_000;
  }
}

/**
 * Input tokens an OpenAI-tokenizer (o200k) upstream will count for the request, rounded up:
 * texts, the framing of each message, tool definitions and tool calls, and media by their size.
 */
export function estimateOpenAiInputTokens(request: ChatRequest): number {
  let tokens = FRAMING_TOKENS_FIXED;
  for (const message of request.messages) {
    tokens += FRAMING_TOKENS_PER_MESSAGE;
    if (message.content) for (const part of message.content) tokens += partTokens(part);
    if (message.toolCalls)
      for (const call of message.toolCalls) tokens += countTextTokens(call.name) + countTextTokensCached(call.arguments) + 8;
    if (message.name) tokens += countTextTokens(message.name) + 1;
    if (message.refusal) tokens += countTextTokens(message.refusal);
  }
  if (request.tools) tokens += countTextTokensCached(JSON.stringify(request.tools)) + 16;
  if (request.responseFormat) tokens += countTextTokens(JSON.stringify(request.responseFormat));
  return tokens;
}
