import { z } from 'zod';
import { IdOf, idPattern, PathIdOf } from '../core/ids.js';
import { FileId } from '../files/schemas.js';
import { PageInput, pageOf } from '../core/pagination.js';
import { Timestamp } from '../core/time.js';
import { ProviderId } from '../providers/schemas.js';
import { ModelOperationSchema } from './operations.js';
import { ModelPricing, ModelPricingInput, Pricing, PricingInput, TokenPrice } from './pricing.js';

export const MODEL_ID_PATTERN = idPattern('model');
export const ModelId = IdOf('model');
export const ModelCategory = z.enum(['text', 'image', 'audio', 'video']);
export const ModelStatus = z.enum(['active', 'inactive', 'deprecated']);
export const ModelVisibility = z.enum(['public', 'private']);
export const ModelSort = z.enum(['name', 'created_at', 'popularity']);
export { ModelOperationSchema as ModelOperation };

const Operations = z
  .array(ModelOperationSchema)
  .min(1)
  .max(7)
  .refine((ops) => new Set(ops).size === ops.length, 'each operation may appear once');

/** Also the OpenAI `model` of the gateway, so it is unique (case-insensitively) and cannot look like an id. */
export const ModelName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\u0000-\u001f\u007f]+$/, 'no control characters')
  .refine((name) => !MODEL_ID_PATTERN.test(name), 'a model name cannot look like a model id');

/** Call defaults of a model (`config` in, `parameters` out); forwarded upstream, so only known fields. */
export const ModelParameters = z
  .object({
    max_tokens: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .optional()
      .meta({ description: 'Default and upper bound of output tokens per call' }),
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().min(0).max(1).optional(),
    frequency_penalty: z.number().min(-2).max(2).optional(),
    presence_penalty: z.number().min(-2).max(2).optional(),
    stop: z.union([z.string().max(100), z.array(z.string().max(100)).max(4)]).optional(),
    context_length: z
      .number()
      .int()
      .min(16)
      .max(10_000_000)
      .optional()
      .meta({ description: "Context size of a model served from its own file; bounded by the file's own" }),
  })
  .strict()
  .meta({ id: 'ModelParameters' });

export { ModelPricing, ModelPricingInput, Pricing, PricingInput, TokenPrice };

export const RouteInput = z
  .object({
    provider_id: ProviderId,
    upstream_model: z.string().trim().min(1).max(200).meta({ description: 'Model name sent to the provider' }),
    priority: z.number().int().min(-1000).max(1000).optional().meta({ description: "Lower is tried first; defaults to the provider's" }),
    weight: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .optional()
      .meta({ description: "Share among routes of equal priority; defaults to the provider's" }),
  })
  .strict();

const Routes = z
  .array(RouteInput)
  .max(16)
  .refine(
    (routes) => new Set(routes.map((r) => `${r.provider_id}\n${r.upstream_model}`)).size === routes.length,
    'each provider_id + upstream_model pair may appear once',
  );

export const ModelRoute = z
  .object({
    provider_id: z.string(),
    upstream_model: z.string(),
    priority: z.number().int().nullable(),
    weight: z.number().int().nullable(),
  })
  .meta({ id: 'ModelRoute' });

export const Model = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    category: ModelCategory,
    operations: z.array(ModelOperationSchema).meta({
      description:
        'What the model can be called for; derived from the category unless set (text: chat; image: image_generation, image_edit; audio: speech, transcription; video: video_generation)',
    }),
    version: z.string(),
    status: ModelStatus,
    visibility: ModelVisibility,
    popularity: z.number().int().meta({ description: 'Number of successful calls' }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Model' });

export const ModelDeployment = z
  .object({
    runtime: z.string().meta({ description: 'local: the built-in runtime' }),
    state: z.enum(['deploying', 'active', 'failed']),
    error: z.string().nullable().meta({ description: 'Why the deployment failed' }),
    loaded_at: Timestamp.nullable().meta({ description: 'When the runtime loaded the file' }),
  })
  .meta({ id: 'ModelDeployment' });

export const ModelDetail = Model.extend({
  parameters: ModelParameters,
  pricing: ModelPricing,
  context_window: z.number().int(),
  model_file: z.string().nullable(),
  routes: z.array(ModelRoute).optional().meta({ description: 'Only for the owner and admins' }),
  deployment: ModelDeployment.optional().meta({
    description: 'Where a model served from its own file (model_file, no routes) runs, and its state',
  }),
}).meta({ id: 'ModelDetail' });

export const ListModelsInput = PageInput.extend({
  category: ModelCategory.optional(),
  operation: ModelOperationSchema.optional().meta({ description: 'Only models that can do this operation' }),
  search: z.string().trim().max(100).optional().meta({ description: 'Case-insensitive, in name and description' }),
  sort: ModelSort.default('created_at').meta({ description: 'name: A→Z; created_at: newest first; popularity: most called first' }),
});
export const ModelList = pageOf(Model);

export const ModelRef = z.object({ model_id: PathIdOf('model') });

const ModelFields = z.object({
  name: ModelName,
  description: z.string().trim().max(2000),
  category: ModelCategory,
  operations: Operations.nullable().meta({
    description: "What the model can be called for; omitted or null: its category's default",
  }),
  model_file: FileId.meta({ description: 'Id of a file you uploaded (POST /files)' }),
  config: ModelParameters,
  version: z.string().trim().min(1).max(32),
  visibility: ModelVisibility,
  pricing: ModelPricingInput,
  context_window: z.number().int().min(1).max(10_000_000),
  routes: Routes,
});

export const CreateModelInput = ModelFields.extend({
  description: ModelFields.shape.description.default(''),
  operations: ModelFields.shape.operations.optional(),
  model_file: ModelFields.shape.model_file.optional(),
  config: ModelFields.shape.config.default({}),
  version: ModelFields.shape.version.default('1.0'),
  visibility: ModelVisibility.default('private'),
  pricing: ModelPricingInput.optional(),
  context_window: ModelFields.shape.context_window.default(4096),
  routes: Routes.default([]),
}).strict();

export const UpdateModelInput = ModelFields.partial()
  .extend({
    ...ModelRef.shape,
    model_file: FileId.nullable().optional(),
    status: ModelStatus.optional(),
  })
  .strict();

export const DeployModelInput = ModelRef.extend({
  runtime: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .optional()
    .meta({ description: "local (the built-in runtime), or an ollama provider's id (admins); default: where it is deployed now" }),
}).strict();

export const DeletedModel = z.object({ id: z.string(), deleted: z.literal(true) });
