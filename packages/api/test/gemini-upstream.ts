// A strict Gemini API (generativelanguage v1beta) upstream for tests: a real HTTP server that checks
// requests the way Google's does and answers generateContent (JSON) and streamGenerateContent?alt=sse.
//
// It refuses, with Gemini's own error shape: a missing or wrong API key; unknown fields anywhere
// (OpenAI-style `messages`, `max_tokens`, `tool_call_id`, …, exactly like the proto JSON parser);
// roles other than user/model; a system prompt inside `contents`; empty parts; functionCall outside a
// model turn; functionResponse outside a user turn, or not answering — by name and by count — the
// functionCalls of the model turn right before it; schema keywords outside Gemini's OpenAPI subset.
//
// Replies are deterministic. When the last user text names a declared function (or the model name
// contains `tool-caller`: the first one), the mock calls it with arguments made from its schema;
// after functionResponses it answers in text what the tools returned. `enqueue` scripts the next answers. Usage counts text with o200k (images 258
// tokens) and reports the configured cachedContentTokenCount and thoughtsTokenCount.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { countTextTokens } from '../src/inference/token-count.js';

export interface GeminiScriptedReply {
  text?: string;
  functionCalls?: { name: string; args: Record<string, unknown> }[];
  finishReason?: string;
}

export interface GeminiRecordedRequest {
  url: string;
  model: string;
  stream: boolean;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

export interface GeminiMockOptions {
  apiKey?: string;
  /** Reported as cachedContentTokenCount (and included in promptTokenCount, as Gemini does). */
  cachedContentTokens?: number;
  /** Reported as thoughtsTokenCount (billed as output). */
  thoughtsTokens?: number;
}

export interface GeminiMock {
  /** Base URL (the host; the adapter adds /v1beta). */
  url: string;
  requests: GeminiRecordedRequest[];
  /** Requests refused with a 4xx, with the reason, for assertions that the adapter never sends a bad one. */
  refusals: { status: number; message: string }[];
  enqueue(...replies: GeminiScriptedReply[]): void;
  /** The usage the mock reports for a recorded request's reply. */
  usageFor(request: GeminiRecordedRequest): Record<string, number>;
  close(): Promise<void>;
}

export const GEMINI_MOCK_SUFFIX = 'The quick brown fox jumps over the lazy dog.';
export const GEMINI_IMAGE_TOKENS = 258;

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly grpcStatus = status === 400 ? 'INVALID_ARGUMENT' : status === 403 ? 'PERMISSION_DENIED' : 'NOT_FOUND',
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

// camelCase and snake_case are both accepted, as by the proto JSON parser.
const both = (...names: string[]): Set<string> =>
  new Set(names.flatMap((name) => [name, name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)]));
const REQUEST_FIELDS = both('contents', 'systemInstruction', 'tools', 'toolConfig', 'generationConfig', 'safetySettings', 'cachedContent');
const CONTENT_FIELDS = both('role', 'parts');
const PART_KINDS = both('text', 'inlineData', 'fileData', 'functionCall', 'functionResponse', 'thought', 'thoughtSignature');
const GENERATION_FIELDS = both(
  'maxOutputTokens',
  'temperature',
  'topP',
  'topK',
  'stopSequences',
  'seed',
  'candidateCount',
  'presencePenalty',
  'frequencyPenalty',
  'responseMimeType',
  'responseSchema',
  'responseLogprobs',
  'logprobs',
  'thinkingConfig',
);
const SCHEMA_FIELDS = new Set([
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'enum',
  'maxItems',
  'minItems',
  'properties',
  'required',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'example',
  'anyOf',
  'propertyOrdering',
  'default',
  'items',
  'minimum',
  'maximum',
]);
const SCHEMA_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object', 'null']);

function field(object: Json, name: string): unknown {
  return object[name] ?? object[name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`)];
}

function onlyKnown(object: Json, known: Set<string>, where: string): void {
  for (const key of Object.keys(object)) {
    if (!known.has(key)) throw new Refusal(400, `Invalid JSON payload received. Unknown name "${key}" at '${where}': Cannot find field.`);
  }
}

function checkSchema(schema: unknown, where: string): void {
  if (!isRecord(schema)) throw new Refusal(400, `${where}: schema must be an object`);
  onlyKnown(schema, SCHEMA_FIELDS, where);
  if (schema.type !== undefined && !(typeof schema.type === 'string' && SCHEMA_TYPES.has(schema.type.toLowerCase()))) {
    throw new Refusal(400, `Invalid value at '${where}.type'`);
  }
  if (isRecord(schema.properties)) {
    if (String(schema.type).toLowerCase() === 'object' && Object.keys(schema.properties).length === 0) {
      throw new Refusal(400, `${where}.properties: should be non-empty for OBJECT type`);
    }
    for (const [name, property] of Object.entries(schema.properties)) checkSchema(property, `${where}.properties[${name}]`);
  }
  if (Array.isArray(schema.required)) {
    for (const name of schema.required) {
      if (!isRecord(schema.properties) || !(String(name) in schema.properties)) {
        throw new Refusal(400, `${where}.required[${String(name)}]: property is not defined`);
      }
    }
  }
  if (schema.items !== undefined) checkSchema(schema.items, `${where}.items`);
  if (Array.isArray(schema.anyOf)) schema.anyOf.forEach((branch, index) => checkSchema(branch, `${where}.anyOf[${index}]`));
  if (schema.enum !== undefined && !(Array.isArray(schema.enum) && schema.enum.every((value) => typeof value === 'string'))) {
    throw new Refusal(400, `Invalid value at '${where}.enum': strings expected`);
  }
}

interface FunctionCall {
  name: string;
  args: Json;
}

function checkRequest(body: unknown): { declared: { name: string; parameters?: Json }[] } {
  if (!isRecord(body)) throw new Refusal(400, 'Invalid JSON payload received.');
  onlyKnown(body, REQUEST_FIELDS, 'request');
  const contents = body.contents;
  if (!Array.isArray(contents) || contents.length === 0)
    throw new Refusal(400, '* GenerateContentRequest.contents: contents is not specified');

  const system = field(body, 'systemInstruction');
  if (system !== undefined) {
    if (!isRecord(system) || !Array.isArray(system.parts)) throw new Refusal(400, 'systemInstruction: parts expected');
    for (const part of system.parts) {
      if (!isRecord(part) || typeof part.text !== 'string' || Object.keys(part).length !== 1) {
        throw new Refusal(400, 'systemInstruction: only text parts are supported');
      }
    }
  }

  const declared: { name: string; parameters?: Json }[] = [];
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) throw new Refusal(400, 'tools: list expected');
    body.tools.forEach((tool, toolIndex) => {
      if (!isRecord(tool)) throw new Refusal(400, `tools[${toolIndex}]: object expected`);
      onlyKnown(tool, both('functionDeclarations', 'googleSearch', 'codeExecution'), `tools[${toolIndex}]`);
      const declarations = field(tool, 'functionDeclarations');
      if (!Array.isArray(declarations)) return;
      declarations.forEach((declaration, index) => {
        const where = `tools[${toolIndex}].function_declarations[${index}]`;
        if (!isRecord(declaration)) throw new Refusal(400, `${where}: object expected`);
        onlyKnown(declaration, both('name', 'description', 'parameters', 'response'), where);
        if (typeof declaration.name !== 'string' || !/^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/.test(declaration.name)) {
          throw new Refusal(400, `${where}.name: Invalid function name`);
        }
        if (declaration.parameters !== undefined) checkSchema(declaration.parameters, `${where}.parameters`);
        declared.push({ name: declaration.name, ...(isRecord(declaration.parameters) ? { parameters: declaration.parameters } : {}) });
      });
    });
  }

  const toolConfig = field(body, 'toolConfig');
  if (toolConfig !== undefined) {
    if (!isRecord(toolConfig)) throw new Refusal(400, 'toolConfig: object expected');
    onlyKnown(toolConfig, both('functionCallingConfig'), 'tool_config');
    const calling = field(toolConfig, 'functionCallingConfig');
    if (isRecord(calling)) {
      onlyKnown(calling, both('mode', 'allowedFunctionNames'), 'tool_config.function_calling_config');
      if (!['AUTO', 'ANY', 'NONE', 'VALIDATED'].includes(String(calling.mode)))
        throw new Refusal(400, `Invalid value at 'tool_config.function_calling_config.mode'`);
      const allowed = field(calling, 'allowedFunctionNames');
      if (allowed !== undefined) {
        if (calling.mode !== 'ANY') throw new Refusal(400, 'allowed_function_names may only be set with mode ANY');
        for (const name of Array.isArray(allowed) ? allowed : []) {
          if (!declared.some((declaration) => declaration.name === name))
            throw new Refusal(400, `allowed_function_names: ${String(name)} is not declared`);
        }
      }
    }
  }

  const generation = field(body, 'generationConfig');
  if (generation !== undefined) {
    if (!isRecord(generation)) throw new Refusal(400, 'generationConfig: object expected');
    onlyKnown(generation, GENERATION_FIELDS, 'generation_config');
    const schema = field(generation, 'responseSchema');
    if (schema !== undefined) checkSchema(schema, 'generation_config.response_schema');
  }

  let previousCalls: FunctionCall[] = [];
  contents.forEach((content, index) => {
    const where = `contents[${index}]`;
    if (!isRecord(content)) throw new Refusal(400, `${where}: object expected`);
    onlyKnown(content, CONTENT_FIELDS, where);
    if (content.role !== 'user' && content.role !== 'model') {
      throw new Refusal(400, `Please use a valid role: user, model. (${where}.role is ${JSON.stringify(content.role)})`);
    }
    if (!Array.isArray(content.parts) || content.parts.length === 0) {
      throw new Refusal(400, `${where}.parts: contents.parts must not be empty.`);
    }
    const calls: FunctionCall[] = [];
    const responses: string[] = [];
    content.parts.forEach((part, partIndex) => {
      const at = `${where}.parts[${partIndex}]`;
      if (!isRecord(part)) throw new Refusal(400, `${at}: object expected`);
      onlyKnown(part, PART_KINDS, at);
      const kinds = Object.keys(part).filter((key) => key !== 'thought' && key !== 'thoughtSignature' && key !== 'thought_signature');
      if (kinds.length !== 1)
        throw new Refusal(400, `${at}: a part must hold exactly one of text, inline_data, file_data, function_call, function_response`);
      const inline = field(part, 'inlineData');
      if (inline !== undefined) {
        if (!isRecord(inline)) throw new Refusal(400, `${at}.inline_data: object expected`);
        onlyKnown(inline, both('mimeType', 'data'), `${at}.inline_data`);
        const mime = field(inline, 'mimeType');
        if (typeof mime !== 'string' || !/^[a-z]+\/[a-z0-9.+-]+$/.test(mime))
          throw new Refusal(400, `${at}.inline_data.mime_type: invalid`);
        if (typeof inline.data !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(inline.data)) {
          throw new Refusal(400, `Invalid value at '${at}.inline_data.data' (TYPE_BYTES), Base64 decoding failed`);
        }
      }
      if (field(part, 'fileData') !== undefined) throw new Refusal(400, `${at}.file_data: this mock serves no uploaded files`);
      const call = field(part, 'functionCall');
      if (call !== undefined) {
        if (content.role !== 'model') throw new Refusal(400, `${at}: function_call is only valid in a model turn`);
        if (!isRecord(call) || typeof call.name !== 'string' || (call.args !== undefined && !isRecord(call.args))) {
          throw new Refusal(400, `${at}.function_call: name and an args object expected`);
        }
        onlyKnown(call, new Set(['name', 'args', 'id']), `${at}.function_call`);
        calls.push({ name: call.name, args: isRecord(call.args) ? call.args : {} });
      }
      const response = field(part, 'functionResponse');
      if (response !== undefined) {
        if (content.role !== 'user') throw new Refusal(400, `${at}: function_response is only valid in a user turn`);
        if (!isRecord(response) || typeof response.name !== 'string' || !isRecord(response.response)) {
          throw new Refusal(400, `${at}.function_response: name and a response object expected`);
        }
        onlyKnown(response, new Set(['name', 'response', 'id']), `${at}.function_response`);
        if (!previousCalls.some((previous) => previous.name === response.name)) {
          throw new Refusal(400, `${at}: function_response "${response.name}" does not answer a function_call of the previous model turn`);
        }
        responses.push(response.name);
      }
    });
    if (previousCalls.length > 0 && responses.length !== previousCalls.length) {
      throw new Refusal(
        400,
        `Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn (${where}).`,
      );
    }
    previousCalls = calls;
  });
  return { declared };
}

function exampleFor(schema: unknown, name: string): unknown {
  if (!isRecord(schema)) return 'x';
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  switch (String(schema.type).toLowerCase()) {
    case 'number':
    case 'integer':
      return 3;
    case 'boolean':
      return true;
    case 'array':
      return [exampleFor(schema.items, name)];
    case 'object': {
      const out: Json = {};
      const properties = isRecord(schema.properties) ? schema.properties : {};
      for (const [key, property] of Object.entries(properties)) out[key] = exampleFor(property, key);
      return out;
    }
    default:
      return name === 'city' || name === 'location' ? 'Paris' : `${name}-value`;
  }
}

/** The text of every part of a request, as the mock counts tokens over it. */
function requestText(body: Json): { text: string; images: number } {
  let text = '';
  let images = 0;
  const system = field(body, 'systemInstruction');
  if (isRecord(system) && Array.isArray(system.parts))
    for (const part of system.parts) if (isRecord(part)) text += `${String(part.text)}\n`;
  for (const content of body.contents as Json[]) {
    for (const part of content.parts as Json[]) {
      if (typeof part.text === 'string') text += `${part.text}\n`;
      else if (field(part, 'inlineData') !== undefined) images++;
      else text += `${JSON.stringify(part)}\n`;
    }
  }
  if (body.tools !== undefined) text += JSON.stringify(body.tools);
  return { text, images };
}

function lastUserText(contents: Json[]): string {
  for (let i = contents.length - 1; i >= 0; i--) {
    const content = contents[i]!;
    if (content.role !== 'user') continue;
    const texts = (content.parts as Json[]).filter((part) => typeof part.text === 'string').map((part) => String(part.text));
    if (texts.length > 0) return texts.join(' ');
  }
  return '';
}

function toolResults(contents: Json[]): { name: string; response: unknown }[] {
  const last = contents[contents.length - 1]!;
  return (last.parts as Json[])
    .map((part) => field(part, 'functionResponse'))
    .filter(isRecord)
    .map((response) => ({ name: String(response.name), response: response.response }));
}

export async function startGeminiMock(options: GeminiMockOptions = {}): Promise<GeminiMock> {
  const apiKey = options.apiKey ?? 'gemini-test-key';
  const requests: GeminiRecordedRequest[] = [];
  const refusals: { status: number; message: string }[] = [];
  const script: GeminiScriptedReply[] = [];
  const replies = new WeakMap<GeminiRecordedRequest, { text: string; calls: FunctionCall[] }>();

  function usageFor(request: GeminiRecordedRequest): Record<string, number> {
    const { text, images } = requestText(request.body);
    const reply = replies.get(request) ?? { text: '', calls: [] };
    const promptTokenCount = countTextTokens(text) + images * GEMINI_IMAGE_TOKENS + (options.cachedContentTokens ?? 0);
    const candidatesTokenCount =
      countTextTokens(reply.text) + reply.calls.reduce((sum, call) => sum + countTextTokens(JSON.stringify(call)), 0);
    const thoughts = options.thoughtsTokens ?? 0;
    return {
      promptTokenCount,
      candidatesTokenCount,
      totalTokenCount: promptTokenCount + candidatesTokenCount + thoughts,
      ...(options.cachedContentTokens ? { cachedContentTokenCount: options.cachedContentTokens } : {}),
      ...(thoughts ? { thoughtsTokenCount: thoughts } : {}),
    };
  }

  function answer(model: string, body: Json, declared: { name: string; parameters?: Json }[]): GeminiScriptedReply {
    const scripted = script.shift();
    if (scripted) return scripted;
    const contents = body.contents as Json[];
    const results = toolResults(contents);
    if (results.length > 0) {
      return { text: results.map((result) => `Tool ${result.name} returned ${JSON.stringify(result.response)}.`).join(' ') };
    }
    const named = declared.find((declaration) => lastUserText(contents).includes(declaration.name));
    if (named ?? (model.includes('tool-caller') && declared.length > 0)) {
      const tool = named ?? declared[0]!;
      return { functionCalls: [{ name: tool.name, args: (exampleFor(tool.parameters ?? { type: 'object' }, tool.name) as Json) ?? {} }] };
    }
    return { text: `You said: ${lastUserText(contents)}. ${GEMINI_MOCK_SUFFIX}` };
  }

  const sendError = (res: ServerResponse, error: Refusal): void => {
    refusals.push({ status: error.status, message: error.message });
    const text = JSON.stringify({ error: { code: error.status, message: error.message, status: error.grpcStatus } });
    res.writeHead(error.status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  /**
   * batchEmbedContents, as strict as Google's: the key, one request per text whose `model` is
   * `models/<the model in the URL>`, text parts only, optional outputDimensionality. The vector of
   * a text is [its length, its first char code, 0, …] (default 4 values). Like Google, no usage.
   */
  async function batchEmbed(req: IncomingMessage, res: ServerResponse, url: URL, model: string): Promise<void> {
    const key = req.headers['x-goog-api-key'] ?? url.searchParams.get('key');
    if (key === undefined || key === null) throw new Refusal(403, "Method doesn't allow unregistered callers. Please use API Key.");
    if (key !== apiKey) throw new Refusal(400, 'API key not valid. Please pass a valid API key.');
    let text = '';
    req.setEncoding('utf8');
    for await (const piece of req) text += piece;
    const body = JSON.parse(text) as Json;
    onlyKnown(body, new Set(['requests']), 'request');
    if (!Array.isArray(body.requests) || body.requests.length === 0) throw new Refusal(400, 'requests must be a non-empty list');
    const embeddings = (body.requests as Json[]).map((request, i) => {
      onlyKnown(request, new Set(['model', 'content', 'taskType', 'title', 'outputDimensionality']), `requests[${i}]`);
      if (request.model !== `models/${model}`) {
        throw new Refusal(400, `Model name ${String(request.model)} in requests[${i}] does not match the model in the URL`);
      }
      const parts = (request.content as Json | undefined)?.parts;
      if (!Array.isArray(parts) || parts.length === 0 || !parts.every((p: Json) => typeof p.text === 'string')) {
        throw new Refusal(400, `requests[${i}].content.parts must be text parts`);
      }
      const dims = request.outputDimensionality ?? 4;
      if (typeof dims !== 'number' || !Number.isInteger(dims) || dims < 2)
        throw new Refusal(400, 'outputDimensionality must be an integer >= 2');
      const joined = (parts as { text: string }[]).map((p) => p.text).join('');
      const values = new Array<number>(dims).fill(0);
      values[0] = joined.length;
      values[1] = joined.charCodeAt(0);
      return { values };
    });
    requests.push({ url: req.url ?? '', model, stream: false, headers: req.headers, body });
    const out = JSON.stringify({ embeddings });
    res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://mock');
    const embed = /^\/v1beta\/models\/([^/:]+):batchEmbedContents$/.exec(url.pathname);
    if (req.method === 'POST' && embed) return batchEmbed(req, res, url, decodeURIComponent(embed[1]!));
    const match = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(url.pathname);
    if (req.method !== 'POST' || !match) throw new Refusal(404, `Requested entity was not found: ${req.method} ${url.pathname}`);
    const key = req.headers['x-goog-api-key'] ?? url.searchParams.get('key');
    if (key === undefined || key === null) throw new Refusal(403, "Method doesn't allow unregistered callers. Please use API Key.");
    if (key !== apiKey) throw new Refusal(400, 'API key not valid. Please pass a valid API key.');
    const stream = match[2] === 'streamGenerateContent';
    if (stream && url.searchParams.get('alt') !== 'sse') throw new Refusal(400, 'this mock streams only with alt=sse');
    if (!String(req.headers['content-type']).startsWith('application/json'))
      throw new Refusal(400, 'Content-Type must be application/json');
    let text = '';
    req.setEncoding('utf8');
    for await (const piece of req) text += piece;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Refusal(400, 'Invalid JSON payload received.');
    }
    const { declared } = checkRequest(body);
    const model = decodeURIComponent(match[1]!);
    const recorded: GeminiRecordedRequest = { url: req.url ?? '', model, stream, headers: req.headers, body: body as Json };
    requests.push(recorded);
    const reply = answer(model, body as Json, declared);
    const calls = reply.functionCalls ?? [];
    replies.set(recorded, { text: reply.text ?? '', calls });
    const usageMetadata = usageFor(recorded);
    const finishReason = reply.finishReason ?? 'STOP';
    const modelVersion = model;
    const responseId = `gemini-mock-${requests.length}`;

    if (!stream) {
      const parts = [...(reply.text ? [{ text: reply.text }] : []), ...calls.map((call) => ({ functionCall: call }))];
      const out = JSON.stringify({
        candidates: [{ content: { role: 'model', parts }, finishReason, index: 0 }],
        usageMetadata,
        modelVersion,
        responseId,
      });
      res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(out) });
      res.end(out);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const pieces = reply.text ? reply.text.split(/(?<=\s)(?=\S)/) : [];
    const chunks: Json[] = pieces.map((piece) => ({ candidates: [{ content: { role: 'model', parts: [{ text: piece }] }, index: 0 }] }));
    for (const call of calls) chunks.push({ candidates: [{ content: { role: 'model', parts: [{ functionCall: call }] }, index: 0 }] });
    if (chunks.length === 0) chunks.push({ candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, index: 0 }] });
    // Like Gemini: every chunk carries usage so far; the last one the finishReason and the final usage.
    chunks.forEach((chunk, index) => {
      const last = index === chunks.length - 1;
      const candidates = chunk.candidates as Json[];
      if (last) candidates[0]!.finishReason = finishReason;
      const partial = { ...usageMetadata, candidatesTokenCount: last ? usageMetadata.candidatesTokenCount : 0 };
      res.write(`data: ${JSON.stringify({ ...chunk, usageMetadata: last ? usageMetadata : partial, modelVersion, responseId })}\r\n\r\n`);
    });
    res.end();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      sendError(
        res,
        error instanceof Refusal ? error : new Refusal(500, error instanceof Error ? error.message : String(error), 'INTERNAL'),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    refusals,
    enqueue: (...more) => void script.push(...more),
    usageFor,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
