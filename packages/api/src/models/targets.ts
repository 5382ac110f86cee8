// A provider row as a call target: shared by the call resolver (routes, engine deployments) and
// deployment (pushing a model file to an engine), kept apart so neither imports the other.
import type { PlatformConfig } from '../core/config.js';
import type { ProviderTarget } from '../inference/adapter.js';
import { decryptSecret } from '../providers/secrets.js';

export const CONNECT_TIMEOUT_CAP_MS = 10_000;

/** What a provider row needs to become a call target. */
export interface ProviderRowForTarget {
  provider_id: string;
  name: string;
  kind: string;
  base_url: string;
  api_key_encrypted: string | null;
  timeout_ms: number;
  provider_priority: number;
  provider_weight: number;
  options: { max_tokens_field?: 'max_tokens' | 'max_completion_tokens' | undefined; anthropic_version?: string | undefined };
}

/** A provider as a call target for `upstreamModel` (its API key decrypted). */
export function providerTarget(
  config: PlatformConfig,
  route: ProviderRowForTarget,
  upstreamModel: string,
  priority: number | null = null,
  weight: number | null = null,
): ProviderTarget {
  return {
    providerId: route.provider_id,
    name: route.name,
    kind: route.kind,
    baseUrl: route.base_url,
    apiKey: route.api_key_encrypted === null ? null : decryptSecret(config, route.api_key_encrypted, route.provider_id),
    upstreamModel,
    timeouts: {
      connectMs: Math.min(route.timeout_ms, CONNECT_TIMEOUT_CAP_MS),
      firstByteMs: route.timeout_ms,
      idleMs: route.timeout_ms,
    },
    priority: priority ?? route.provider_priority,
    weight: weight ?? route.provider_weight,
    options: {
      ...(route.options.max_tokens_field ? { maxTokensField: route.options.max_tokens_field } : {}),
      ...(route.options.anthropic_version ? { anthropicVersion: route.options.anthropic_version } : {}),
    },
  };
}

/** The model name a self-served model has on an external engine (ollama). */
export function engineModelName(modelId: string): string {
  return `maas-${modelId}`;
}
