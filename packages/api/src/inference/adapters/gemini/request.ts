// The internal request → a Gemini generateContent body. Gemini has no tool call ids: a tool result
// is matched to its call by function name, so each tool turn's id is looked up among the tool calls
// of the assistant turns before it (ids the platform made up when it read Gemini's answer, or the
// client's own when the conversation came from another provider).
import { AppError } from '../../../core/errors.js';
import type { AdapterChatRequest, ContentPart, Message } from '../../types.js';
import { toGeminiParameters, toGeminiSchema } from './schema.js';
import type { GeminiContent, GeminiGenerationConfig, GeminiPart, GeminiRequest, GeminiTextPart } from './wire.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const DATA_URL = /^data:([^;,]+)(?:;[^;,]*)*;base64,(.*)$/s;

function refuse(message: 'GEMINI_IMAGE_URL_UNSUPPORTED' | 'GEMINI_FILE_UNSUPPORTED' | 'GEMINI_CONTENT_UNSUPPORTED', part: string): never {
  throw new AppError('INVALID_REQUEST', { message, params: { part }, details: { field: part } });
}

function mediaPart(part: ContentPart, path: string): GeminiPart {
  switch (part.type) {
    case 'text':
      return { text: part.text };
    case 'image': {
      if (part.source.kind === 'base64') return { inline_data: { mime_type: part.source.mediaType, data: part.source.data } };
      // Fetching a client's URL from here would need the SSRF guard; Gemini itself only fetches its own file URIs.
      const inline = DATA_URL.exec(part.source.url);
      if (inline) return { inline_data: { mime_type: inline[1]!, data: inline[2]! } };
      return refuse('GEMINI_IMAGE_URL_UNSUPPORTED', path);
    }
    case 'audio':
      return { inline_data: { mime_type: `audio/${part.format}`, data: part.data } };
    case 'file':
      if (part.source.kind === 'base64') return { inline_data: { mime_type: part.source.mediaType, data: part.source.data } };
      return refuse('GEMINI_FILE_UNSUPPORTED', path);
  }
}

function textOnly(content: ContentPart[] | null, path: string): string[] {
  return (content ?? []).map((part, index) =>
    part.type === 'text' ? part.text : refuse('GEMINI_CONTENT_UNSUPPORTED', `${path}.content[${index}]`),
  );
}

/** Gemini's functionResponse.response is an object: a JSON object result is sent as is, anything else wrapped. */
function functionResponse(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    if (isRecord(parsed)) return parsed;
    return { result: parsed };
  } catch {
    return { result: text };
  }
}

function toolCallName(messages: readonly Message[], before: number, id: string | undefined, path: string): string {
  for (let i = before - 1; i >= 0; i--) {
    const call = messages[i]!.toolCalls?.find((candidate) => candidate.id === id);
    if (call) return call.name;
  }
  throw new AppError('INVALID_REQUEST', {
    message: 'GEMINI_TOOL_RESULT_UNMATCHED',
    params: { part: path, id: id ?? '' },
    details: { field: `${path}.tool_call_id` },
  });
}

function toContents(messages: readonly Message[]): { contents: GeminiContent[]; system: GeminiTextPart[] } {
  const contents: GeminiContent[] = [];
  const system: GeminiTextPart[] = [];
  const push = (role: 'user' | 'model', parts: GeminiPart[]): void => {
    if (parts.length === 0) return;
    // Gemini wants a turn per speaker: consecutive messages of one side (a user text after tool
    // results, parallel tool results) become one content.
    const last = contents[contents.length - 1];
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };

  messages.forEach((message, index) => {
    const path = `messages[${index}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        for (const text of textOnly(message.content, path)) system.push({ text });
        return;
      case 'user':
        return push(
          'user',
          (message.content ?? []).map((part, partIndex) => mediaPart(part, `${path}.content[${partIndex}]`)),
        );
      case 'assistant': {
        const parts: GeminiPart[] = textOnly(message.content, path).map((text) => ({ text }));
        if (message.refusal) parts.push({ text: message.refusal });
        for (const [callIndex, call] of (message.toolCalls ?? []).entries()) {
          let args: unknown;
          try {
            args = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
          } catch {
            args = undefined;
          }
          if (!isRecord(args)) {
            throw new AppError('INVALID_REQUEST', {
              message: 'GEMINI_TOOL_ARGUMENTS_INVALID',
              params: { part: `${path}.tool_calls[${callIndex}]` },
              details: { field: `${path}.tool_calls[${callIndex}].function.arguments` },
            });
          }
          parts.push({ functionCall: { name: call.name, args } });
        }
        return push('model', parts);
      }
      case 'tool': {
        const name = toolCallName(messages, index, message.toolCallId, path);
        const text = textOnly(message.content, path).join('\n');
        return push('user', [{ functionResponse: { name, response: functionResponse(text) } }]);
      }
    }
  });
  return { contents, system };
}

function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function generationConfig(call: AdapterChatRequest): GeminiGenerationConfig {
  const { request, defaults } = call;
  const config: GeminiGenerationConfig = {
    maxOutputTokens: Math.min(request.maxOutputTokens ?? call.maxOutputTokens, call.maxOutputTokens),
  };
  const temperature = request.temperature ?? numberOf(defaults.temperature);
  if (temperature !== undefined) config.temperature = temperature;
  const topP = request.topP ?? numberOf(defaults.top_p);
  if (topP !== undefined) config.topP = topP;
  const topK = request.topK ?? numberOf(defaults.top_k);
  if (topK !== undefined) config.topK = topK;
  const seed = request.seed ?? numberOf(defaults.seed);
  if (seed !== undefined) config.seed = seed;
  const presence = request.presencePenalty ?? numberOf(defaults.presence_penalty);
  if (presence !== undefined) config.presencePenalty = presence;
  const frequency = request.frequencyPenalty ?? numberOf(defaults.frequency_penalty);
  if (frequency !== undefined) config.frequencyPenalty = frequency;
  if (request.stop && request.stop.length > 0) config.stopSequences = request.stop;
  if (request.n !== undefined && request.n !== 1) config.candidateCount = request.n;
  if (request.logprobs) {
    config.responseLogprobs = true;
    if (request.topLogprobs !== undefined) config.logprobs = request.topLogprobs;
  }
  const format = request.responseFormat;
  if (format?.type === 'json_object') config.responseMimeType = 'application/json';
  else if (format?.type === 'json_schema') {
    config.responseMimeType = 'application/json';
    const schema = format.json_schema.schema;
    if (isRecord(schema)) config.responseSchema = toGeminiSchema(schema);
  }
  return config;
}

/** The generateContent body for this call (the same body streams, at the :streamGenerateContent URL). */
export function toGeminiRequest(call: AdapterChatRequest): GeminiRequest {
  const { request } = call;
  const { contents, system } = toContents(request.messages);
  const body: GeminiRequest = { contents, generationConfig: generationConfig(call) };
  if (system.length > 0) body.systemInstruction = { parts: system };
  if (request.tools && request.tools.length > 0) {
    body.tools = [
      {
        functionDeclarations: request.tools.map((tool) => {
          const parameters = toGeminiParameters(tool.parameters);
          return {
            name: tool.name,
            ...(tool.description ? { description: tool.description } : {}),
            ...(parameters ? { parameters } : {}),
          };
        }),
      },
    ];
  }
  const choice = request.toolChoice;
  if (choice !== undefined && body.tools) {
    body.toolConfig = {
      functionCallingConfig:
        choice === 'auto'
          ? { mode: 'AUTO' }
          : choice === 'none'
            ? { mode: 'NONE' }
            : choice === 'required'
              ? { mode: 'ANY' }
              : { mode: 'ANY', allowedFunctionNames: [choice.name] },
    };
  }
  return body;
}
