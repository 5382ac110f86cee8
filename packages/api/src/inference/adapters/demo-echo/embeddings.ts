// Offline, deterministic embeddings for the demo provider: the text's character n-grams (2 to 4
// characters, lower-cased, with word boundaries marked by spaces) hashed into a fixed number of
// signed buckets, then L2-normalised. The same text always gives the same vector, and texts that
// share many n-grams (similar spelling or wording) have a higher cosine similarity than unrelated
// ones. It knows nothing of meaning: "car" and "automobile" are not close.
import { countTextTokens } from '../../token-count.js';
import type { EmbeddingsRequest, EmbeddingsResult } from '../../types.js';

/** Vector length when the caller asks for none. */
export const DEMO_EMBEDDING_DIMENSIONS = 256;
const NGRAM_SIZES = [2, 3, 4] as const;

/** 32-bit FNV-1a over the UTF-16 code units. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function demoEmbedding(text: string, dimensions = DEMO_EMBEDDING_DIMENSIONS): number[] {
  const normalised = ` ${text.toLowerCase().replace(/\s+/g, ' ').trim()} `;
  const chars = Array.from(normalised);
  const vector = new Float64Array(dimensions);
  for (const n of NGRAM_SIZES) {
    for (let i = 0; i + n <= chars.length; i++) {
      const hash = fnv1a(chars.slice(i, i + n).join(''));
      // The top bit signs the contribution, so collisions cancel out on average instead of piling up.
      vector[hash % dimensions]! += hash & 0x80000000 ? -1 : 1;
    }
  }
  let norm = 0;
  for (const value of vector) norm += value * value;
  norm = Math.sqrt(norm);
  // Math.fround: the values a float32 wire format (base64) carries, so JSON and base64 agree exactly.
  return Array.from(vector, (value) => Math.fround(norm === 0 ? 0 : value / norm));
}

export function demoEmbeddings(request: EmbeddingsRequest): EmbeddingsResult {
  const dimensions = request.dimensions ?? DEMO_EMBEDDING_DIMENSIONS;
  let inputTokens = 0;
  const vectors = request.inputs.map((text) => {
    inputTokens += countTextTokens(text);
    return demoEmbedding(text, dimensions);
  });
  return { vectors, usage: { inputTokens } };
}
