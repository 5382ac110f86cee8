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

/**
 * How a message may name an offered tool: its name, and for a marketplace tool's exposed name
 * (`t_<slug>__<function>`) its function and its slug ("use the calculator"). A mention of the
 * name or function is preferred to one of the slug, which several functions of a tool share.
 */
function aliasesOf(name: string): { alias: string; strong: boolean }[] {
  const aliases = [{ alias: name, strong: true }];
  const marketplace = /^t_(.+)__(.+)$/.exec(name);
  if (marketplace) {
    aliases.push({ alias: marketplace[2]!, strong: true }, { alias: marketplace[1]!, strong: false });
    if (marketplace[1]!.includes('-')) aliases.push({ alias: marketplace[1]!.replaceAll('-', ' '), strong: false });
  }
  return aliases;
}

/** The offered tool the last user message names (the earliest mention wins), if the last turn is the user's; `after`: the text after the mention. */
function namedTool(request: ChatRequest): { tool: FunctionTool; after: string } | null {
  if (!request.tools?.length || request.toolChoice === 'none') return null;
  const last = request.messages.at(-1);
  if (!last || last.role !== 'user') return null;
  if (typeof request.toolChoice === 'object') {
    const tool = request.tools.find((t) => t.name === (request.toolChoice as { name: string }).name);
    return tool ? { tool, after: '' } : null;
  }
  const text = messageText(last);
  let best: { tool: FunctionTool; at: number; end: number; strong: boolean } | null = null;
  for (const tool of request.tools) {
    for (const { alias, strong } of aliasesOf(tool.name)) {
      const match = new RegExp(`(^|[^A-Za-z0-9_-])${escapeRegExp(alias)}($|[^A-Za-z0-9_-])`, 'i').exec(text);
      if (!match) continue;
      const at = match.index + match[1]!.length;
      if (best === null || (strong && !best.strong) || (strong === best.strong && at < best.at)) {
        best = { tool, at, end: at + alias.length, strong };
      }
    }
  }
  return best ? { tool: best.tool, after: text.slice(best.end) } : null;
}

/**
 * Arguments read from the words after the tool's mention, so "use the calculator to compute 2+3*4"
 * gives {expression: "2+3*4"}: a required string takes the text after a ':' (or, without one, from
 * the first digit or quote on); a number takes the first number there. What the text does not give
 * gets the schema's sample value.
 */
function argumentsFrom(schema: Record<string, unknown> | undefined, after: string): Record<string, unknown> {
  const args = sampleArguments(schema);
  const properties = (schema?.properties ?? {}) as Record<string, { type?: unknown; enum?: unknown }>;
  const colon = after.indexOf(':');
  const quoted = /["'“](.+?)["'”]/.exec(after)?.[1];
  const fromDigit = /[0-9(-][^?!]*/.exec(after)?.[0];
  const textValue = (colon >= 0 ? after.slice(colon + 1) : (quoted ?? fromDigit ?? '')).trim().replace(/[.?!]+$/, '');
  const number = /-?\d+(\.\d+)?/.exec(after)?.[0];
  for (const name of Object.keys(args)) {
    const property = properties[name] ?? {};
    if (Array.isArray(property.enum)) continue;
    if (property.type === 'string' && textValue) args[name] = textValue;
    else if ((property.type === 'number' || property.type === 'integer') && number !== undefined) {
      args[name] = property.type === 'integer' ? Math.trunc(Number(number)) : Number(number);
    }
  }
  return args;
}

/** A tool's answer as a person would quote it: `{"result": "…"}` (the demo calculator's shape) is its result. */
function resultText(text: string): string {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) {
      const { result, error } = parsed as { result?: unknown; error?: unknown };
      if (typeof result === 'string') return result;
      if (typeof error === 'string') return error;
    }
  } catch {
    // Not JSON: quoted as it is.
  }
  return text;
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
    results.unshift({ name: call?.name ?? 'tool', result: resultText(messageText(message)) });
  }
  return results;
}

function usageOf(inputTokens: number, outputTokens: number): Usage {
  return { inputTokens, outputTokens, cachedInputTokens: 0, cacheWriteInputTokens: 0, reasoningTokens: 0 };
}

/** demo-echo's answer: a tool call when a named tool is offered, a summary after tool results, else the echo. */
export function demoEchoAnswer(request: ChatRequest, maxOutputTokens: number): DemoAnswer {
  const prompt = countPromptTokens(request.messages);
  const named = namedTool(request);
  if (named) {
    const { tool } = named;
    const args = JSON.stringify(argumentsFrom(tool.parameters, named.after));
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
