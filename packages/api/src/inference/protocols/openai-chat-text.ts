// OpenAI Chat bodies as text, for the same-protocol fast path: the client's request goes to an
// OpenAI-compatible upstream, and the upstream's answer back to the client, as the JSON text each
// side sent with only the edits the platform must make, instead of being parsed, rebuilt and
// serialised again. Each function proves its edit exact on the text or returns null, and the
// caller then takes the object path (buildOpenAiChatBody, toOpenAiCompletion), which stays the
// reference for what the edits must produce.
import type { AdapterChatRequest, ChatResult, MaxTokensField, Usage } from '../types.js';
import { toOpenAiUsage } from './openai-chat.js';

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const MODEL_KEY = '"model"';
/** Fields this file edits itself: a model default of the same name is left to the object path. */
const FIELDS_SET_HERE = new Set(['model', 'messages', 'max_tokens', 'max_completion_tokens', 'stream', 'stream_options']);
const BACKSLASH = 92;
const COLON = 58;

function skipSpace(text: string, at: number): number {
  let i = at;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
    i++;
  }
  return i;
}

/**
 * `text`, a JSON object whose top-level `model` is the string `from`, with that value replaced by
 * `to`. Inside a JSON string every quote is escaped, so an unescaped `"model"` followed by a colon
 * is a key; when it occurs exactly once, it is the top-level one. Anything else (a second
 * occurrence anywhere, an escape before it, the value written with other escapes) is null.
 */
export function replaceTopLevelModel(text: string, from: string, to: string): string | null {
  const at = text.indexOf(MODEL_KEY);
  if (at <= 0 || text.charCodeAt(at - 1) === BACKSLASH) return null;
  if (text.indexOf(MODEL_KEY, at + MODEL_KEY.length) !== -1) return null;
  const colon = skipSpace(text, at + MODEL_KEY.length);
  if (text.charCodeAt(colon) !== COLON) return null;
  const start = skipSpace(text, colon + 1);
  const literal = JSON.stringify(from);
  if (!text.startsWith(literal, start)) return null;
  if (from === to) return text;
  return text.slice(0, start) + JSON.stringify(to) + text.slice(start + literal.length);
}

/**
 * The upstream body of buildOpenAiChatBody(call, noLimitField), made by editing the client's own
 * text when the edits are only these: the model name, fields added at the front (the output limit
 * when the client set none, the model's default parameters it did not send, `stream: false`, and
 * `stream_options.include_usage` for a stream without stream_options). Null when anything else
 * would change (a limit above the cap, a null to drop, stream_options to merge or remove).
 */
export function openAiRequestText(call: AdapterChatRequest, noLimitField: MaxTokensField): string | null {
  const body = call.openAiBody;
  const text = call.openAiBodyText;
  if (body === undefined || text === undefined || typeof body.model !== 'string') return null;
  let added = '';
  let limited = false;
  for (const field of ['max_completion_tokens', 'max_tokens'] as const) {
    const value = body[field];
    if (value === null || (typeof value === 'number' && value > call.maxOutputTokens)) return null;
    if (typeof value === 'number') limited = true;
    else if (value !== undefined) return null;
  }
  if (!limited) added += `"${noLimitField}":${call.maxOutputTokens},`;
  for (const key in call.defaults) {
    const value = body[key];
    if (value === null || FIELDS_SET_HERE.has(key)) return null;
    if (value === undefined) added += `${JSON.stringify(key)}:${JSON.stringify(call.defaults[key])},`;
  }
  const streamOptions = body.stream_options;
  if (call.stream) {
    if (body.stream !== true) return null;
    if (streamOptions === undefined) added += '"stream_options":{"include_usage":true},';
    else if (!isRecord(streamOptions) || streamOptions.include_usage !== true) return null;
  } else {
    if (streamOptions !== undefined || (body.stream !== undefined && body.stream !== false)) return null;
    if (body.stream === undefined) added += '"stream":false,';
  }
  const renamed = replaceTopLevelModel(text, body.model, call.upstreamModel);
  if (renamed === null) return null;
  if (added === '') return renamed;
  // The body is an object with at least model and messages, so a comma after the added fields is right.
  const open = renamed.indexOf('{');
  return `${renamed.slice(0, open + 1)}${added}${renamed.slice(open + 1)}`;
}

/** Whether spreading the billed usage over the upstream's (what toOpenAiCompletion does) leaves it as it is. */
function usageUnchanged(upstream: Json, billed: Json): boolean {
  for (const key in billed) {
    const ours = billed[key];
    const theirs = upstream[key];
    if (!isRecord(ours)) {
      if (theirs !== ours) return false;
      continue;
    }
    if (!isRecord(theirs) || Object.keys(theirs).length !== Object.keys(ours).length) return false;
    for (const inner in ours) if (theirs[inner] !== ours[inner]) return false;
  }
  return true;
}

/**
 * The client's chat.completion as text: the upstream's own text with only its model name
 * replaced, when that is exactly what toOpenAiCompletion would build (a `usage` the billing leaves
 * as the upstream reported it). Null otherwise.
 */
export function openAiCompletionText(result: ChatResult, model: string, usage: Usage): string | null {
  const upstream = result.openAi;
  if (upstream?.text === undefined) return null;
  const { body, text } = upstream;
  if (typeof body.model !== 'string' || !isRecord(body.usage) || !usageUnchanged(body.usage, toOpenAiUsage(usage))) return null;
  return replaceTopLevelModel(text, body.model, model);
}
