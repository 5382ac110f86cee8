// Anthropic's streaming events → the internal StreamEvents. Pure: fed one server-sent event at a
// time (https://docs.anthropic.com/en/docs/build-with-claude/streaming).
import type { StreamEvent, Usage } from '../../types.js';
import { finishReasonOf, usageOf } from './response.js';
import type { AnthropicUsage } from './wire.js';

/** An `error` event inside a stream that had been accepted (overloaded_error, api_error, …). */
export class AnthropicStreamError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
  ) {
    super(message);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const MAX_ERROR_MESSAGE_CHARS = 500;

/**
 * Translates one stream. Content blocks are numbered by Anthropic across text, thinking and
 * tool_use; tool calls are renumbered 0, 1, … in order (the internal toolIndex), and every
 * input_json_delta becomes a tool-call-delta of that call, so the arguments arrive whole.
 */
export class AnthropicStreamTranslator {
  completed = false;
  deliveredText = '';
  id = '';
  private readonly toolIndexOfBlock = new Map<number, number>();
  private readonly argumentsSeen = new Set<number>();
  private toolCount = 0;
  private usageSoFar: AnthropicUsage = {};
  private sawOutputUsage = false;

  /** Usage as reported so far: null until the provider gave the output count (message_delta). */
  get usage(): Usage | null {
    return this.sawOutputUsage ? usageOf(this.usageSoFar) : null;
  }

  /** The internal events for one server-sent event; throws AnthropicStreamError on an `error` event. */
  accept(eventName: string | undefined, data: string): StreamEvent[] {
    let payload: unknown;
    try {
      payload = JSON.parse(data);
    } catch {
      throw new AnthropicStreamError('protocol_error', 'the provider sent an event that is not JSON');
    }
    if (!isRecord(payload)) throw new AnthropicStreamError('protocol_error', 'the provider sent an event that is not an object');
    const type = typeof payload.type === 'string' ? payload.type : eventName;
    switch (type) {
      case 'message_start':
        return this.messageStart(payload);
      case 'content_block_start':
        return this.blockStart(payload);
      case 'content_block_delta':
        return this.blockDelta(payload);
      case 'content_block_stop':
        return this.blockStop(payload);
      case 'message_delta':
        return this.messageDelta(payload);
      case 'message_stop': {
        this.completed = true;
        const usage = this.usage;
        return usage ? [{ type: 'usage', usage }] : [];
      }
      case 'error': {
        const error = isRecord(payload.error) ? payload.error : {};
        const message =
          typeof error.message === 'string' ? error.message.slice(0, MAX_ERROR_MESSAGE_CHARS) : 'the provider reported an error';
        throw new AnthropicStreamError(typeof error.type === 'string' ? error.type : 'api_error', message);
      }
      // ping, and event types added later, carry nothing to translate.
      default:
        return [];
    }
  }

  private mergeUsage(usage: unknown): void {
    if (!isRecord(usage)) return;
    // message_delta's counts are cumulative; a field it omits keeps message_start's value.
    for (const key of ['input_tokens', 'output_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens'] as const) {
      const value = usage[key];
      if (typeof value === 'number') this.usageSoFar[key] = value;
    }
  }

  private messageStart(payload: Record<string, unknown>): StreamEvent[] {
    const message = isRecord(payload.message) ? payload.message : {};
    if (typeof message.id === 'string') this.id = message.id;
    this.mergeUsage(message.usage);
    return [];
  }

  private blockStart(payload: Record<string, unknown>): StreamEvent[] {
    const index = typeof payload.index === 'number' ? payload.index : -1;
    const block = isRecord(payload.content_block) ? payload.content_block : {};
    if (block.type === 'tool_use' && typeof block.id === 'string' && typeof block.name === 'string') {
      const toolIndex = this.toolCount++;
      this.toolIndexOfBlock.set(index, toolIndex);
      const events: StreamEvent[] = [{ type: 'tool-call-start', index: 0, toolIndex, id: block.id, name: block.name }];
      // The start carries `input: {}`; the arguments follow as input_json_delta. A non-empty input here
      // (some proxies send the whole call at once) is the arguments.
      if (isRecord(block.input) && Object.keys(block.input).length > 0)
        events.push(...this.argumentsDelta(toolIndex, JSON.stringify(block.input)));
      return events;
    }
    if (block.type === 'text' && typeof block.text === 'string' && block.text !== '') return this.text(block.text);
    if (block.type === 'thinking' && typeof block.thinking === 'string' && block.thinking !== '') return this.reasoning(block.thinking);
    return [];
  }

  private blockDelta(payload: Record<string, unknown>): StreamEvent[] {
    const index = typeof payload.index === 'number' ? payload.index : -1;
    const delta = isRecord(payload.delta) ? payload.delta : {};
    switch (delta.type) {
      case 'text_delta':
        return typeof delta.text === 'string' && delta.text !== '' ? this.text(delta.text) : [];
      case 'input_json_delta': {
        const toolIndex = this.toolIndexOfBlock.get(index);
        if (toolIndex === undefined || typeof delta.partial_json !== 'string' || delta.partial_json === '') return [];
        return this.argumentsDelta(toolIndex, delta.partial_json);
      }
      case 'thinking_delta':
        return typeof delta.thinking === 'string' && delta.thinking !== '' ? this.reasoning(delta.thinking) : [];
      case 'signature_delta':
        return typeof delta.signature === 'string' ? [{ type: 'reasoning', index: 0, text: '', signature: delta.signature }] : [];
      default:
        return [];
    }
  }

  private blockStop(payload: Record<string, unknown>): StreamEvent[] {
    const index = typeof payload.index === 'number' ? payload.index : -1;
    const toolIndex = this.toolIndexOfBlock.get(index);
    // A tool called without arguments streams no JSON at all; downstream protocols want an object.
    if (toolIndex !== undefined && !this.argumentsSeen.has(toolIndex)) return this.argumentsDelta(toolIndex, '{}');
    return [];
  }

  private messageDelta(payload: Record<string, unknown>): StreamEvent[] {
    if (isRecord(payload.usage)) {
      this.mergeUsage(payload.usage);
      if (typeof payload.usage.output_tokens === 'number') this.sawOutputUsage = true;
    }
    const delta = isRecord(payload.delta) ? payload.delta : {};
    const reason = finishReasonOf(typeof delta.stop_reason === 'string' ? delta.stop_reason : null);
    return reason ? [{ type: 'finish', index: 0, reason }] : [];
  }

  private text(text: string): StreamEvent[] {
    this.deliveredText += text;
    return [{ type: 'text', index: 0, text }];
  }

  private reasoning(text: string): StreamEvent[] {
    this.deliveredText += text;
    return [{ type: 'reasoning', index: 0, text }];
  }

  private argumentsDelta(toolIndex: number, json: string): StreamEvent[] {
    this.argumentsSeen.add(toolIndex);
    this.deliveredText += json;
    return [{ type: 'tool-call-delta', index: 0, toolIndex, arguments: json }];
  }
}
