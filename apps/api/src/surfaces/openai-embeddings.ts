import {
  type Actor,
  completeEmbeddingsCall,
  parseOpenAiEmbeddingsRequest,
  type Platform,
  prepareEmbeddingsCall,
  toOpenAiEmbeddings,
} from '@maas/api';

// /v1/embeddings ⇄ the inference layer (issue 14 part 2): validated, reserved, embedded by the
// first provider of the model that can, billed per input token, answered in OpenAI's shape (float
// or base64 vectors; base64 is encoded here, whatever the provider sent).

export async function embeddings(
  platform: Platform,
  call: { actor: Actor; body: unknown; signal: AbortSignal; requestId: string },
): Promise<Record<string, unknown>> {
  const parsed = parseOpenAiEmbeddingsRequest(call.body);
  const prepared = await prepareEmbeddingsCall(platform, {
    actor: call.actor,
    model: parsed.model,
    request: parsed.request,
    signal: call.signal,
    requestId: call.requestId,
  });
  const { result, outcome } = await completeEmbeddingsCall(platform, prepared);
  return toOpenAiEmbeddings(result, parsed.model, parsed.encoding, outcome.inputTokens);
}
