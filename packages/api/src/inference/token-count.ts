import { countTokens, decode, encode } from 'gpt-tokenizer';
import type { Message } from './types.js';

// gpt-tokenizer throws on text that contains special tokens such as
// `<|endoftext|>` unless told otherwise; user text may contain anything, so
// those sequences are counted as ordinary text. Built once: it is read-only.
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/** o200k_base token count of `text`, never throwing on user content. */
export function countTextTokens(text: string): number {
  return text.length === 0 ? 0 : countTokens(text, PLAIN_TEXT);
}

// Chat clients send the same system prompt, tool definitions and history again on every turn, and
// the reservation counts each call's prompt before it starts. Counts of recent prompt texts are
// remembered (a count depends on the text alone), within a bound on the characters kept: when
// full, the memory starts again empty, which costs one count per text.
const REMEMBERED_CHARS = 4_000_000;
const LONGEST_REMEMBERED = 256_000;
const remembered = new Map<string, number>();
let rememberedChars = 0;

/** countTextTokens for prompt texts, which repeat across calls: a text counted lately is not counted again. */
export function countTextTokensCached(text: string): number {
  if (text.length === 0) return 0;
  const known = remembered.get(text);
  if (known !== undefined) return known;
  const count = countTokens(text, PLAIN_TEXT);
  if (text.length <= LONGEST_REMEMBERED) {
    if (rememberedChars + text.length > REMEMBERED_CHARS) {
      remembered.clear();
      rememberedChars = 0;
    }
    remembered.set(text, count);
    rememberedChars += text.length;
  }
  return count;
}

/** The text of a message: its text parts joined by newlines (other parts are counted apart). */
export function messageText(message: Pick<Message, 'content'>): string {
  if (message.content === null) return '';
  let text = '';
  let first = true;
  for (const part of message.content) {
    if (part.type !== 'text') continue;
    text += first ? part.text : `\n${part.text}`;
    first = false;
  }
  return text;
}

/**
 * Prompt size as the built-in providers report it: the tokens of the message texts joined by
 * newlines. It ignores the per-message framing a real model adds, tool definitions and
 * non-text parts; the adapters' reservation estimates add those.
 */
export function countPromptTokens(messages: readonly Pick<Message, 'content'>[]): number {
  let text = '';
  for (let i = 0; i < messages.length; i++) {
    const content = messageText(messages[i]!);
    text += i === 0 ? content : `\n${content}`;
  }
  return countTextTokens(text);
}

/** `text` cut to at most `maxTokens` tokens, with its token count. */
export function truncateToTokens(text: string, maxTokens: number): { text: string; tokens: number } {
  const tokens = encode(text, PLAIN_TEXT);
  if (tokens.length <= maxTokens) return { text, tokens: tokens.length };
  return { text: decode(tokens.slice(0, maxTokens)), tokens: maxTokens };
}
