import { createHash } from 'node:crypto';
import { countPromptTokens, countTextTokens, messageText, truncateToTokens } from '../../token-count.js';
import type { ChatRequest, FinishReason, FunctionTool, Message, ToolCall, Usage } from '../../types.js';

// The built-in `demo-echo` provider lets a fresh install answer chat requests (and exercise
// billing, streaming, tools and the UI) without any model or network. Its answer is a pure
// function of the request, so tests can assert exact text, tool calls and token counts.

export const DEMO_ECHO_SUFFIX = 'This reply comes from the demo-echo provider.';

/** The full text reply demo-echo gives for these messages (before any output-limit cut). */
export function demoEchoReply(messages: readonly Message[]): string {
  const last = messages.findLast((message) => message.role === 'user');
  return `Echo: ${last ? messageText(last) : ''}\n\n${DEMO_ECHO_SUFFIX}`;
}

export interface DemoAnswer {
  text: string;
  toolCalls: ToolCall[];
  usage: Usage;
  finishReason: FinishReason;
}

function sampleValue(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null) return 'demo';
  const s = schema as Record<string, unknown>;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  const type: unknown = Array.isArray(s.type) ? (s.type as unknown[])[0] : s.type;
  switch (type) {
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [];
    case 'object':
      return sampleArguments(s);
    case 'null':
      return null;
    default:
      return 'demo';
  }
}

/** Arguments for a tool: its schema's required properties with simple values ({} when none). */
export function sampleArguments(schema: Record<string, unknown> | undefined): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  if (!schema) return args;
  const properties =
    typeof schema.properties === 'object' && schema.properties !== null ? (schema.properties as Record<string, unknown>) : {};
  const required = Array.isArray(schema.required) ? schema.required.filter((name): name is string => typeof name === 'string') : [];
  for (const name of required) args[name] = sampleValue(properties[name]);
  return args;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The offered tool the last user message names (the earliest mention wins), if the last turn is the user's. */
function namedTool(request: ChatRequest): FunctionTool | null {
  if (!request.tools?.length || request.toolChoice === 'none') return null;
  const last = request.messages.at(-1);
  if (!last || last.role !== 'user') return null;
  if (typeof request.toolChoice === 'object')
    return request.tools.find((tool) => tool.name === (request.toolChoice as { name: string }).name) ?? null;
  const text = messageText(last);
  let best: { tool: FunctionTool; at: number } | null = null;
  for (const tool of request.tools) {
    const match = new RegExp(`(^|[^A-Za-z0-9_-])${escapeRegExp(tool.name)}($|[^A-Za-z0-9_-])`).exec(text);
    if (match && (best === null || match.index < best.at)) best = { tool, at: match.index };
  }
  return best?.tool ?? null;
}

/** Tool results at the end of the conversation, with the names of the calls they answer. */
function trailingToolResults(messages: readonly Message[]): { name: string; result: string }[] {
  const results: { name: string; result: string }[] = [];
  for (let i = messages.length - 1; i >= 0 && messages[i]!.role === 'tool'; i--) {
    const message = messages[i]!;
    const call = messages
      .slice(0, i)
      .flatMap((m) => m.toolCalls ?? [])
      .find((c) => c.id === message.toolCallId);
    results.unshift({ name: call?.name ?? 'tool', result: messageText(message) });
  }
  return results;
}

function usageOf(inputTokens: number, outputTokens: number): Usage {
  return { inputTokens, outputTokens, cachedInputTokens: 0, cacheWriteInputTokens: 0, reasoningTokens: 0 };
}

/** demo-echo's answer: a tool call when a named tool is offered, a summary after tool results, else the echo. */
export function demoEchoAnswer(request: ChatRequest, maxOutputTokens: number): DemoAnswer {
  const prompt = countPromptTokens(request.messages);
  const tool = namedTool(request);
  if (tool) {
    const args = JSON.stringify(sampleArguments(tool.parameters));
    // A deterministic id per conversation point, so a replayed request gets the same call id.
    const id = `call_${createHash('sha256').update(`${request.messages.length}:${tool.name}:${args}`).digest('hex').slice(0, 24)}`;
    return {
      text: '',
      toolCalls: [{ id, name: tool.name, arguments: args }],
      usage: usageOf(prompt, countTextTokens(tool.name) + countTextTokens(args)),
      finishReason: 'tool_calls',
    };
  }
  const results = trailingToolResults(request.messages);
  const full =
    results.length > 0
      ? `${results.map((r) => `Tool ${r.name} returned: ${r.result}`).join('\n')}\n\n${DEMO_ECHO_SUFFIX}`
      : demoEchoReply(request.messages);
  const cut = truncateToTokens(full, maxOutputTokens);
  return {
    text: cut.text,
    toolCalls: [],
    usage: usageOf(prompt, cut.tokens),
    finishReason: cut.text.length < full.length ? 'length' : 'stop',
  };
}
