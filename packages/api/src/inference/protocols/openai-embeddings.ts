// OpenAI `/v1/embeddings` wire ⇄ the internal embeddings request and result (issue 14 part 2).
import { AppError } from '../../core/errors.js';
import type { EmbeddingsRequest, EmbeddingsResult } from '../types.js';

export type EmbeddingEncoding = 'float' | 'base64';

export interface OpenAiEmbeddingsCall {
  model: string;
  request: EmbeddingsRequest;
  encoding: EmbeddingEncoding;
}

/** OpenAI's own limits: at most 2048 inputs per request. */
const MAX_INPUTS = 2_048;
const MAX_DIMENSIONS = 16_384;

function invalid(field: string, reason: string): AppError {
  return new AppError('INVALID_REQUEST', { message: 'EMBEDDINGS_REQUEST_INVALID', params: { field, reason }, details: { field } });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isTokenArray = (value: unknown): boolean => Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'number');

/**
 * Validates a `/v1/embeddings` body. `input` is a non-empty string or an array of them; token
 * arrays (OpenAI also takes those) are refused with a clear 400, because the platform's providers
 * do not share one tokenizer, so token ids mean nothing across them.
 */
export function parseOpenAiEmbeddingsRequest(body: unknown): OpenAiEmbeddingsCall {
  if (!isRecord(body)) throw invalid('body', 'must be a JSON object');
  const { model, input } = body;
  if (typeof model !== 'string' || model.length === 0 || model.length > 200) throw invalid('model', 'must be a model name');
  let inputs: string[];
  if (typeof input === 'string') inputs = [input];
  else if (Array.isArray(input) && input.length > 0 && input.every((v) => typeof v === 'string')) inputs = input;
  else if (isTokenArray(input) || (Array.isArray(input) && input.length > 0 && input.every(isTokenArray))) {
    throw invalid('input', 'token arrays are not supported; send the text as a string or an array of strings');
  } else throw invalid('input', 'must be a non-empty string or a non-empty array of strings');
  if (inputs.length > MAX_INPUTS) throw invalid('input', `must have at most ${MAX_INPUTS} items`);
  const empty = inputs.findIndex((text) => text.length === 0);
  if (empty >= 0) throw invalid(typeof input === 'string' ? 'input' : `input[${empty}]`, 'must not be empty');

  const format = body.encoding_format;
  if (format !== undefined && format !== null && format !== 'float' && format !== 'base64') {
    throw invalid('encoding_format', "must be 'float' or 'base64'");
  }
  const request: EmbeddingsRequest = { inputs };
  const dimensions = body.dimensions;
  if (dimensions !== undefined && dimensions !== null) {
    if (typeof dimensions !== 'number' || !Number.isInteger(dimensions) || dimensions < 1 || dimensions > MAX_DIMENSIONS) {
      throw invalid('dimensions', `must be an integer from 1 to ${MAX_DIMENSIONS}`);
    }
    request.dimensions = dimensions;
  }
  if (body.user !== undefined && body.user !== null) {
    if (typeof body.user !== 'string') throw invalid('user', 'must be a string');
    request.user = body.user;
  }
  return { model, request, encoding: format === 'base64' ? 'base64' : 'float' };
}

/** A vector as OpenAI's base64 encoding: little-endian float32s. */
export function embeddingToBase64(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes.toString('base64');
}

/** The `/v1/embeddings` answer. `inputTokens` is what was billed. */
export function toOpenAiEmbeddings(result: EmbeddingsResult, model: string, encoding: EmbeddingEncoding, inputTokens: number) {
  return {
    object: 'list' as const,
    data: result.vectors.map((vector, index) => ({
      object: 'embedding' as const,
      index,
      embedding: encoding === 'base64' ? embeddingToBase64(vector) : vector,
    })),
    model,
    usage: { prompt_tokens: inputTokens, total_tokens: inputTokens },
  };
}
