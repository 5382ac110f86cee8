// The embeddings operation (issue 14 part 2) on the shared operation path: billed per input token at
// the model's input price; there is no output.
import { AppError } from '../core/errors.js';
import type { Platform } from '../core/platform.js';
import { type CallOutcome, costOf } from './engine.js';
import { type OperationCallInput, type PreparedOperationCall, prepareOperationCall, runOperationCall } from './operation-call.js';
import { countTextTokens } from './token-count.js';
import type { EmbeddingsRequest, EmbeddingsResult } from './types.js';

export interface EmbeddingsCallInput extends OperationCallInput {
  request: EmbeddingsRequest;
}

export interface PreparedEmbeddingsCall extends PreparedOperationCall {
  request: EmbeddingsRequest;
  /** The inputs' tokens as counted here, reserved, and billed when a provider reports no usage. */
  countedInputTokens: number;
}

/**
 * Refuses an input longer than the model's context window and reserves the inputs' cost. A
 * provider whose tokenizer counts more is still charged in full at settlement (the excess comes
 * from the wallet, as for chat).
 */
export async function prepareEmbeddingsCall(platform: Platform, input: EmbeddingsCallInput): Promise<PreparedEmbeddingsCall> {
  let countedInputTokens = 0;
  const prepared = await prepareOperationCall(platform, input, 'embeddings', {
    reserve: (model) => {
      input.request.inputs.forEach((text, i) => {
        const tokens = countTextTokens(text);
        if (tokens > model.contextWindow) {
          throw new AppError('INVALID_REQUEST', {
            message: 'EMBEDDINGS_INPUT_TOO_LONG',
            params: { index: i, tokens, limit: model.contextWindow, model: model.name },
            details: { field: `input[${i}]` },
          });
        }
        countedInputTokens += tokens;
      });
      return costOf(model, { inputTokens: countedInputTokens, outputTokens: 0, cachedInputTokens: 0 });
    },
  });
  return { ...prepared, request: input.request, countedInputTokens };
}

/** Runs the call with failover, checks the provider answered one vector per input, and settles. */
export async function completeEmbeddingsCall(
  platform: Platform,
  call: PreparedEmbeddingsCall,
): Promise<{ result: EmbeddingsResult; outcome: CallOutcome }> {
  const { delivered, outcome } = await runOperationCall(platform, call, {
    attempt: (adapter, target, ctx) => {
      if (!adapter.embed) throw new AppError('SERVICE_UNAVAILABLE', { message: 'MODEL_NO_ROUTE', params: { model: call.model.name } });
      return adapter.embed(target, { request: call.request, upstreamModel: target.upstreamModel }, ctx);
    },
    deliver: (result) => {
      if (result.vectors.length !== call.request.inputs.length) {
        return Promise.reject(new AppError('UPSTREAM_ERROR', { message: 'EMBEDDINGS_COUNT_MISMATCH' }));
      }
      return Promise.resolve(result);
    },
    bill: (result) => ({ usage: { inputTokens: result.usage?.inputTokens ?? call.countedInputTokens } }),
  });
  return { result: delivered, outcome };
}
