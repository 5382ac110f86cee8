// A provider row as a call target: shared by the call resolver (routes, engine deployments) and
// deployment (pushing a model file to an engine), kept apart so neither imports the other.
import type { Database } from '@maas/db';
import type { Kysely } from 'kysely';
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

/**
 * The engine provider a model file is deployed on, as a call target under the model's engine name;
 * null when there is no such provider (or, with `enabledOnly`, when it is disabled).
 */
export async function engineTarget(
  db: Kysely<Database>,
  config: PlatformConfig,
  providerId: string,
  modelId: string,
  options: { enabledOnly: boolean },
): Promise<ProviderTarget | null> {
  let query = db
    .selectFrom('providers')
    .select([
      'id as provider_id',
      'name',
      'kind',
      'base_url',
      'api_key_encrypted',
      'timeout_ms',
      'priority as provider_priority',
      'weight as provider_weight',
      'options',
    ])
    .where('id', '=', providerId);
  if (options.enabledOnly) query = query.where('enabled', '=', true);
  const provider = await query.executeTakeFirst();
  return provider ? providerTarget(config, provider, engineModelName(modelId)) : null;
}
