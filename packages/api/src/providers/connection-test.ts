import type { z } from 'zod';
import type { Platform } from '../core/platform.js';
import { adapterFor } from '../inference/adapters/index.js';
import { listOpenAiModels } from '../inference/adapters/openai-compatible/index.js';
import { UpstreamError } from '../inference/errors.js';
import { providerTarget } from '../models/targets.js';
import { getProviderRow } from './service.js';
import type { ProviderConnectionTest } from './schemas.js';

/** A test must answer while the admin waits: at most this long, whatever the provider's own timeout. */
const TEST_TIMEOUT_MS = 5_000;

type TestResult = z.infer<typeof ProviderConnectionTest>;

/**
 * One cheap request to the provider through the same adapter and transport real calls use (issue 19
 * part 7): GET <base URL>/models for an OpenAI-compatible server, else a 1-token chat to the model
 * of one of its routes. An upstream failure is an answer (`ok: false`), never an error of ours.
 */
export async function testProviderConnection(platform: Platform, providerId: string): Promise<TestResult> {
  const row = await getProviderRow(platform.db, providerId);
  const adapter = adapterFor(row.kind);
  // demo-echo answers from inside the platform: there is nothing to reach.
  if (row.kind === 'demo-echo') return { ok: true, latency_ms: 0, status: null, error: null };
  if (!adapter) return { ok: false, latency_ms: 0, status: null, error: `no adapter for the kind ${row.kind}` };

  const route = await platform.db
    .selectFrom('model_routes')
    .select('upstream_model')
    .where('provider_id', '=', providerId)
    .orderBy('upstream_model')
    .executeTakeFirst();
  const timeoutMs = Math.min(row.timeout_ms, TEST_TIMEOUT_MS);
  const target = providerTarget(
    platform.config,
    {
      provider_id: row.id,
      name: row.name,
      kind: row.kind,
      base_url: row.base_url,
      api_key_encrypted: row.api_key_encrypted,
      timeout_ms: timeoutMs,
      provider_priority: row.priority,
      provider_weight: row.weight,
      options: row.options,
    },
    route?.upstream_model ?? '',
  );
  const signal = AbortSignal.timeout(timeoutMs);
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const context = { transport: platform.inference.transport, signal, requestId: `provider-test-${providerId}` };
    if (row.kind === 'openai-compatible') {
      await listOpenAiModels(target, context);
      return { ok: true, latency_ms: elapsed(), status: 200, error: null };
    }
    if (!route) return { ok: false, latency_ms: 0, status: null, error: 'no model is routed to this provider yet: add a route to test it' };
    await adapter.chat(
      target,
      {
        request: { messages: [{ role: 'user', content: [{ type: 'text', text: 'ping' }] }], maxOutputTokens: 1 },
        upstreamModel: route.upstream_model,
        maxOutputTokens: 1,
        defaults: {},
        stream: false,
      },
      context,
    );
    return { ok: true, latency_ms: elapsed(), status: 200, error: null };
  } catch (error) {
    if (error instanceof UpstreamError) return { ok: false, latency_ms: elapsed(), status: error.status ?? null, error: error.message };
    if (signal.aborted) return { ok: false, latency_ms: elapsed(), status: null, error: `no answer within ${timeoutMs} ms` };
    if (error instanceof TypeError) return { ok: false, latency_ms: elapsed(), status: null, error: error.message };
    throw error;
  }
}
