// Provider kind `gemini`: Google's Gemini API (generativelanguage v1beta), generateContent and
// streamGenerateContent?alt=sse, authenticated with `x-goog-api-key`.
import type { AdapterContext, ProviderAdapter, ProviderTarget } from '../../adapter.js';
import type { AdapterChatRequest, ChatResult } from '../../types.js';
import { UpstreamError } from '../../errors.js';
import { estimateGeminiInputTokens } from './estimate.js';
import { toGeminiRequest } from './request.js';
import { resultFromGemini } from './response.js';
import { GeminiStream } from './stream.js';

export const GEMINI_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com';

/**
 * The method URL for a model. A base URL may name the API version itself (`…/v1beta`, `…/v1`);
 * otherwise v1beta is used, the version that has systemInstruction, tools and usage details. A
 * model may be given as `models/<name>`, the way Google's own listings spell it.
 */
export function geminiMethodUrl(
  baseUrl: string,
  model: string,
  method: 'generateContent' | 'streamGenerateContent' | 'batchEmbedContents',
): string {
  const url = new URL(baseUrl === '' ? GEMINI_DEFAULT_BASE_URL : baseUrl);
  let path = url.pathname.replace(/\/+$/, '');
  if (!/\/v1(alpha|beta)?\d*$/.test(path)) path += '/v1beta';
  const name = model.startsWith('models/') ? model.slice('models/'.length) : model;
  url.pathname = `${path}/models/${encodeURIComponent(name)}:${method}`;
  if (method === 'streamGenerateContent') url.searchParams.set('alt', 'sse');
  return url.toString();
}

function headers(target: ProviderTarget, accept: string): Record<string, string> {
  const out: Record<string, string> = { 'content-type': 'application/json', accept };
  if (target.apiKey) out['x-goog-api-key'] = target.apiKey;
  return out;
}

function notA(target: ProviderTarget, what: string, cause?: unknown): UpstreamError {
  return new UpstreamError(`${target.name} answered ${what}`, { kind: 'protocol', providerId: target.providerId, retryable: true, cause });
}

/** A non-streaming method call: POSTs the body and answers the upstream's JSON object. */
async function callJson(
  target: ProviderTarget,
  method: 'generateContent' | 'batchEmbedContents',
  body: string,
  context: AdapterContext,
): Promise<object> {
  const response = await context.transport.request(target, {
    url: geminiMethodUrl(target.baseUrl, target.upstreamModel, method),
    method: 'POST',
    headers: headers(target, 'application/json'),
    body,
    signal: context.signal,
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.body.toString('utf8'));
  } catch (cause) {
    throw notA(target, 'a body that is not JSON', cause);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw notA(
      target,
      method === 'generateContent' ? 'JSON that is not a GenerateContentResponse' : 'JSON that is not a BatchEmbedContentsResponse',
    );
  }
  return parsed;
}

export const geminiAdapter: ProviderAdapter = {
  kind: 'gemini',
  operations: ['chat', 'embeddings'],
  acceptedParts: ['text', 'image', 'audio', 'file'],
  supportsTools: true,
  defaultBaseUrl: GEMINI_DEFAULT_BASE_URL,
  requiresApiKey: true,
  estimateInputTokens: estimateGeminiInputTokens,

  async chat(target: ProviderTarget, call: AdapterChatRequest, context: AdapterContext): Promise<ChatResult> {
    const parsed = await callJson(target, 'generateContent', JSON.stringify(toGeminiRequest(call)), context);
    return resultFromGemini(parsed);
  },

  async streamChat(target: ProviderTarget, call: AdapterChatRequest, context: AdapterContext): Promise<GeminiStream> {
    const body = JSON.stringify(toGeminiRequest(call));
    const sse = await context.transport.openSse(target, {
      url: geminiMethodUrl(target.baseUrl, target.upstreamModel, 'streamGenerateContent'),
      method: 'POST',
      headers: headers(target, 'text/event-stream'),
      body,
      signal: context.signal,
    });
    return new GeminiStream(target, sse);
  },

  // batchEmbedContents: one request per text, all in one call. Gemini reports no usage for it, so
  // the engine bills its own count of the inputs.
  async embed(target, call, context) {
    const name = call.upstreamModel.startsWith('models/') ? call.upstreamModel : `models/${call.upstreamModel}`;
    const body = JSON.stringify({
      requests: call.request.inputs.map((text) => ({
        model: name,
        content: { parts: [{ text }] },
        ...(call.request.dimensions !== undefined ? { outputDimensionality: call.request.dimensions } : {}),
      })),
    });
    const parsed = await callJson(target, 'batchEmbedContents', body, context);
    const embeddings = 'embeddings' in parsed ? parsed.embeddings : undefined;
    const vectors: number[][] = [];
    const values = (item: unknown): number[] | null =>
      typeof item === 'object' &&
      item !== null &&
      'values' in item &&
      Array.isArray(item.values) &&
      item.values.every((v): v is number => typeof v === 'number')
        ? item.values
        : null;
    for (const item of Array.isArray(embeddings) ? embeddings : []) {
      const vector = values(item);
      if (vector) vectors.push(vector);
    }
    if (!Array.isArray(embeddings) || vectors.length !== embeddings.length) {
      throw notA(target, 'JSON that is not a BatchEmbedContentsResponse');
    }
    return { vectors, usage: null };
  },
};
