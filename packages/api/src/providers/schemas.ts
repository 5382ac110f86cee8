import { PROVIDER_KINDS } from '@maas/db';
import { z } from 'zod';
import { IdOf, PathIdOf } from '../core/ids.js';
import { PageInput, pageOf } from '../core/pagination.js';
import { Timestamp } from '../core/time.js';
import { Pricing, PricingInput } from '../models/pricing.js';

export const ProviderId = IdOf('prov');
export const ProviderKind = z.enum(PROVIDER_KINDS);

/** Kind-specific settings; unknown keys are refused so a typo does not pass silently. */
export const ProviderOptions = z
  .object({
    max_tokens_field: z.enum(['max_tokens', 'max_completion_tokens']).optional().meta({
      description:
        'openai-compatible: the field that carries the output limit when the client sent none (reasoning models want max_completion_tokens). Default max_tokens.',
    }),
    anthropic_version: z
      .string()
      .min(1)
      .max(40)
      .optional()
      .meta({ description: 'anthropic: the anthropic-version header. Default 2023-06-01.' }),
  })
  .strict()
  .meta({ id: 'ProviderOptions' });

const ProviderFields = z.object({
  name: z.string().trim().min(1).max(64),
  kind: ProviderKind,
  base_url: z.string().trim().min(1).max(2048).meta({
    description:
      'http(s) URL of the provider API, e.g. https://api.example.com/v1 for openai-compatible; `builtin://demo-echo` for demo-echo; anthropic and gemini default to their public endpoints',
  }),
  api_key: z
    .string()
    .min(1)
    .max(4096)
    .nullable()
    .meta({ description: 'Write-only; stored encrypted and never returned. null removes it.' }),
  timeout_ms: z.number().int().min(100).max(600_000),
  priority: z.number().int().min(-1000).max(1000).meta({ description: 'Lower is tried first' }),
  weight: z.number().int().min(0).max(1000).meta({ description: 'Share among providers of equal priority' }),
  enabled: z.boolean(),
  options: ProviderOptions,
  min_price: PricingInput.meta({
    description:
      "Least price per token that anyone but an admin may give a model routed here: the upstream key is the platform's, so developers cannot sell its calls below cost. Default 0.",
  }),
});

export const CreateProviderInput = ProviderFields.extend({
  kind: ProviderKind.default('openai-compatible'),
  base_url: ProviderFields.shape.base_url.optional(),
  api_key: ProviderFields.shape.api_key.optional(),
  timeout_ms: ProviderFields.shape.timeout_ms.default(60_000),
  priority: ProviderFields.shape.priority.default(0),
  weight: ProviderFields.shape.weight.default(1),
  enabled: ProviderFields.shape.enabled.default(true),
  min_price: ProviderFields.shape.min_price.optional(),
  options: ProviderOptions.optional(),
}).strict();

export const ProviderRef = z.object({ provider_id: PathIdOf('prov') });

export const UpdateProviderInput = ProviderFields.partial().extend(ProviderRef.shape).strict();

export const ListProvidersInput = PageInput;

export const Provider = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: ProviderKind,
    base_url: z.string(),
    has_api_key: z.boolean(),
    timeout_ms: z.number().int(),
    priority: z.number().int(),
    weight: z.number().int(),
    enabled: z.boolean(),
    min_price: Pricing,
    options: ProviderOptions,
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Provider' });

export const ProviderList = pageOf(Provider);

export const DeletedProvider = z.object({ id: z.string(), deleted: z.literal(true) });

export const ProviderConnectionTest = z
  .object({
    ok: z.boolean().meta({ description: 'Whether the provider answered the test request with a success' }),
    latency_ms: z.number().int().meta({ description: 'How long the test request took' }),
    status: z
      .number()
      .int()
      .nullable()
      .meta({ description: "The upstream's HTTP status; null when no answer came (connect error, timeout)" }),
    error: z.string().nullable().meta({ description: 'Why the test failed (bounded, without secrets); null when ok' }),
  })
  .meta({ id: 'ProviderConnectionTest' });
