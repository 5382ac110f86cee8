import { createParser, type EventSourceMessage, type EventSourceParser } from 'eventsource-parser';
import type { ProviderTarget } from '../../adapter.js';
import { UpstreamError } from '../../errors.js';
import { finishReason, OpenAiChunkReader, readOpenAiUsage } from '../../protocols/openai-chat.js';
import { protocolError, upstreamErrorMessage } from '../../transport/index.js';
import type { OpenAiChunkSink, StreamEvent, Usage } from '../../types.js';

// An OpenAI stream passed on to an OpenAI surface as the upstream's own event text (issue 18
// target 4): a chunk that only carries content is framed and written without being parsed; only
// what billing needs is read — the usage chunk, the finish, an error — and the delivered text of a
// cut stream is read from the kept chunks only when it is asked for.

// Past this much unread chunk text a long stream's chunks are read into text, so that memory per
// stream stays bounded (the text itself is still kept for billing a cut stream).
const MAX_UNREAD_CHARS = 1 << 20;

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * True when a chunk's JSON text can only be content: it has choices (not a ping), none of them
 * finished, no usage and no error. A double quote inside a JSON string is always escaped, so a
 * key's text followed by an unescaped `"` is either that key or the end of a string that ends with
 * its name; the second only sends the chunk the slow way. The needles start after the opening
 * quote because a JSON chunk is full of quotes, and a needle starting with one was tried at each:
 * 0.8 µs a chunk against 0.3–0.4. Anything unusual — spacing after a colon, `choices: []` — is
 * read in full.
 */
function contentOnly(data: string): boolean {
  if (data.indexOf('"choices":') === -1 || data.indexOf('choices":[]') !== -1 || data.indexOf('error"') !== -1) return false;
  const usage = data.indexOf('usage"');
  if (usage !== -1 && (!data.startsWith(':null', usage + 6) || data.lastIndexOf('usage"') !== usage)) return false;
  for (let at = data.indexOf('finish_reason"'); at !== -1; at = data.indexOf('finish_reason"', at + 14)) {
    if (!data.startsWith(':null', at + 14)) return false;
  }
  return true;
}

export class OpenAiChunkPass {
  completed = false;
  /** A choice said it had finished (some servers omit `[DONE]`). */
  finished = false;
  usage: Usage | null = null;
  /** Chunks passed on so far. */
  passed = 0;
  readonly #target: ProviderTarget;
  readonly #sink: OpenAiChunkSink;
  /** Chunks not yet read into text, in order: JSON text, or the object a slow chunk was parsed into. */
  readonly #unread: (string | Json)[] = [];
  #unreadChars = 0;
  readonly #text = new OpenAiChunkReader();
  readonly #scratch: StreamEvent[] = [];
  #parser: EventSourceParser | null = null;
  readonly #parsed: EventSourceMessage[] = [];
  /** The last text ended at an event's end, so the next read may be framed without the parser. */
  #atBoundary = true;

  constructor(target: ProviderTarget, sink: OpenAiChunkSink) {
    this.#target = target;
    this.#sink = sink;
  }

  /** Text and tool-call arguments delivered so far (reads the kept chunks). */
  get deliveredText(): string {
    this.#readUnread();
    return this.#text.deliveredText;
  }

  /** One network read's text; false once `[DONE]` was seen. Throws an UpstreamError for an error in the stream. */
  feed(text: string): boolean {
    const last = text.length - 1;
    // The usual read: exactly one `data: …` line and its blank line.
    if (
      this.#atBoundary &&
      last > 7 &&
      text.startsWith('data: ') &&
      text.indexOf('\n') === last - 1 &&
      text.charCodeAt(last) === 10 &&
      text.charCodeAt(last - 2) !== 13
    ) {
      return this.#event(undefined, text.slice(6, -2));
    }
    this.#parser ??= createParser({ onEvent: (event) => this.#parsed.push(event) });
    this.#parser.feed(text);
    this.#atBoundary = text.endsWith('\n\n') || text.endsWith('\r\n\r\n');
    for (let i = 0; i < this.#parsed.length; i++) {
      const event = this.#parsed[i]!;
      if (!this.#event(event.event, event.data)) {
        this.#parsed.length = 0;
        return false;
      }
    }
    this.#parsed.length = 0;
    return true;
  }

  #event(name: string | undefined, data: string): boolean {
    if (data === '[DONE]') {
      this.completed = true;
      return false;
    }
    if (name === undefined && contentOnly(data)) {
      this.passed++;
      this.#keep(data, data.length);
      this.#sink.write(`data: ${this.#sink.rename(data)}\n\n`);
      return true;
    }
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      throw protocolError(this.#target, 'stream carried an event that is not JSON', this.passed === 0, this.deliveredText);
    }
    if (!isRecord(json)) return true;
    if (json.error !== undefined) {
      // Providers report failures after a 200 as an `error` event in the stream.
      const { message, code } = upstreamErrorMessage(data, 200);
      throw new UpstreamError(message, {
        kind: 'server',
        providerId: this.#target.providerId,
        retryable: this.passed === 0,
        code,
        contentSoFar: this.deliveredText,
      });
    }
    if (name === 'error') {
      throw protocolError(this.#target, `stream error event: ${data.slice(0, 200)}`, this.passed === 0, this.deliveredText);
    }
    // Keep-alive pings some servers send are not chunks.
    if (!Array.isArray(json.choices)) return true;
    this.passed++;
    if (json.usage !== undefined && json.usage !== null) this.usage = readOpenAiUsage(json.usage) ?? this.usage;
    for (const choice of json.choices) {
      if (isRecord(choice) && finishReason(choice.finish_reason) !== null) this.finished = true;
    }
    this.#keep(json, data.length);
    // We always ask the upstream for usage (billing needs it); its usage-only chunk goes on only if asked.
    if (json.choices.length === 0 && !this.#sink.includeUsage) return true;
    this.#sink.write(`data: ${this.#sink.rename(data)}\n\n`);
    return true;
  }

  #keep(chunk: string | Json, chars: number): void {
    this.#unread.push(chunk);
    this.#unreadChars += chars;
    if (this.#unreadChars > MAX_UNREAD_CHARS) this.#readUnread();
  }

  #readUnread(): void {
    for (const chunk of this.#unread) {
      let json: unknown = chunk;
      if (typeof chunk === 'string') {
        try {
          json = JSON.parse(chunk);
        } catch {
          // Passed on unread; a chunk that is not JSON delivered no text that can be counted.
          continue;
        }
      }
      if (!isRecord(json)) continue;
      this.#text.read(json, this.#scratch);
      this.#scratch.length = 0;
    }
    this.#unread.length = 0;
    this.#unreadChars = 0;
  }
}
