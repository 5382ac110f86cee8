// OpenAI `/embeddings` wire ⇄ the internal embeddings request and result. Vectors are always asked
// for as floats: the surface encodes base64 itself, so every provider kind answers both formats.
import type { AdapterEmbeddingsRequest, EmbeddingsResult } from '../../types.js';

export function openAiEmbeddingsBody(call: AdapterEmbeddingsRequest): Record<string, unknown> {
  const body: Record<string, unknown> = { model: call.upstreamModel, input: call.request.inputs, encoding_format: 'float' };
  if (call.request.dimensions !== undefined) body.dimensions = call.request.dimensions;
  if (call.request.user !== undefined) body.user = call.request.user;
  return body;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The vectors in input order (by each item's `index`), or null when the body is not a list of `count` embeddings. */
export function embeddingsFromOpenAi(json: unknown, count: number): EmbeddingsResult | null {
  if (!isRecord(json) || !Array.isArray(json.data) || json.data.length !== count) return null;
  const vectors: number[][] = new Array<number[]>(count);
  for (const [position, item] of json.data.entries()) {
    if (!isRecord(item) || !Array.isArray(item.embedding) || !item.embedding.every((v) => typeof v === 'number')) return null;
    const index = typeof item.index === 'number' ? item.index : position;
    if (!Number.isInteger(index) || index < 0 || index >= count || vectors[index] !== undefined) return null;
    vectors[index] = item.embedding;
  }
  const usage = isRecord(json.usage) && typeof json.usage.prompt_tokens === 'number' ? { inputTokens: json.usage.prompt_tokens } : null;
  return { vectors, usage };
}
