import { sql } from 'kysely';
import { z } from 'zod';
import { newId } from '../core/ids.js';
import type { Platform } from '../core/platform.js';
import { CreateProviderInput } from '../providers/schemas.js';
import { providerEncryptionKey } from '../providers/secrets.js';
import { upsertProviderByName } from '../providers/service.js';
import { ModelCategory, ModelName, ModelParameters, ModelStatus, ModelVisibility, ModelPricingInput, RouteInput } from './schemas.js';
import { ensureSystemOwner } from './seed.js';

// MAAS_PROVIDERS: a JSON array of providers, each with optional models routed to it. Applied at
// every start, matched by name (case-insensitive): what the variable says wins over edits made
// through the API for the fields it sets.
//
//   [{"name":"openai","base_url":"https://api.openai.com/v1","api_key":"sk-…",
//     "models":[{"name":"gpt-4o-mini","pricing":{"input_tokens":0.00000015,"output_tokens":0.0000006},
//                "context_window":128000,"upstream_model":"gpt-4o-mini"}]}]

const EnvModel = z
  .object({
    name: ModelName,
    description: z.string().trim().max(2000).optional(),
    category: ModelCategory.optional(),
    version: z.string().trim().min(1).max(32).optional(),
    visibility: ModelVisibility.optional(),
    status: ModelStatus.optional(),
    pricing: ModelPricingInput.optional(),
    context_window: z.number().int().min(1).max(10_000_000).optional(),
    config: ModelParameters.optional(),
    /** Defaults to the model's name. */
    upstream_model: RouteInput.shape.upstream_model.optional(),
    priority: RouteInput.shape.priority,
    weight: RouteInput.shape.weight,
  })
  .strict();

const EnvProvider = CreateProviderInput.extend({ models: z.array(EnvModel).max(500).default([]) }).strict();

export const ProvidersEnv = z.array(EnvProvider).max(100);
export type ProvidersEnv = z.infer<typeof ProvidersEnv>;

/** Parses MAAS_PROVIDERS; anything wrong is an Error naming the variable and the field, to stop the start. */
export function parseProvidersEnv(json: string): ProvidersEnv {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new Error(`MAAS_PROVIDERS is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = ProvidersEnv.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`);
    throw new Error(`MAAS_PROVIDERS is invalid: ${problems.join('; ')}`);
  }
  return parsed.data;
}

async function upsertEnvModel(platform: Platform, ownerId: string, providerId: string, model: z.infer<typeof EnvModel>): Promise<void> {
  const { db } = platform;
  const fields = {
    ...(model.description !== undefined ? { description: model.description } : {}),
    ...(model.category !== undefined ? { category: model.category } : {}),
    ...(model.version !== undefined ? { version: model.version } : {}),
    ...(model.visibility !== undefined ? { visibility: model.visibility } : {}),
    ...(model.status !== undefined ? { status: model.status } : {}),
    ...(model.config !== undefined ? { parameters: JSON.stringify(model.config) } : {}),
    ...(model.pricing !== undefined
      ? {
          input_nano_per_token: model.pricing.input_tokens,
          output_nano_per_token: model.pricing.output_tokens,
          cached_input_nano_per_token: model.pricing.cached_input_tokens ?? null,
        }
      : {}),
    ...(model.context_window !== undefined ? { context_window: model.context_window } : {}),
  };
  await db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('models')
      .values({ id: newId('model'), owner_id: ownerId, name: model.name, category: 'text', visibility: 'public', ...fields })
      .onConflict((oc) => oc.expression(sql`lower(name)`).doNothing())
      .returning('id')
      .executeTakeFirst();
    let modelId = inserted?.id;
    if (!modelId) {
      const updated = await trx
        .updateTable('models')
        .set({ ...fields, updated_at: new Date() })
        .where(sql`lower(name)`, '=', model.name.toLowerCase())
        .returning('id')
        .executeTakeFirstOrThrow();
      modelId = updated.id;
    }
    await trx
      .insertInto('model_routes')
      .values({
        model_id: modelId,
        provider_id: providerId,
        upstream_model: model.upstream_model ?? model.name,
        priority: model.priority ?? null,
        weight: model.weight ?? null,
      })
      .onConflict((oc) =>
        oc
          .columns(['model_id', 'provider_id', 'upstream_model'])
          .doUpdateSet({ priority: model.priority ?? null, weight: model.weight ?? null }),
      )
      .execute();
  });
}

/**
 * Upserts the providers (and their models and routes) of MAAS_PROVIDERS. Runs at every start; an
 * invalid variable stops the start with a message saying what is wrong.
 */
export async function syncProvidersFromEnv(platform: Platform): Promise<void> {
  const { config } = platform;
  // A too-short MAAS_ENCRYPTION_KEY is a startup error, not a surprise at the first provider write.
  if (config.encryptionKey !== undefined) providerEncryptionKey(config);
  if (!config.providersJson) return;
  const providers = parseProvidersEnv(config.providersJson);
  let ownerId: string | undefined;
  for (const { models, ...provider } of providers) {
    const providerId = await upsertProviderByName(platform, provider);
    for (const model of models) {
      ownerId ??= await ensureSystemOwner(platform);
      await upsertEnvModel(platform, ownerId, providerId, model);
    }
  }
  platform.catalog.markChanged();
}
