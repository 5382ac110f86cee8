import { z } from 'zod';
import { IdOf, PathIdOf } from '../core/ids.js';
import { PageInput, pageOf } from '../core/pagination.js';
import { Timestamp } from '../core/time.js';
import { ModelId } from '../models/schemas.js';

export const AppId = IdOf('app');
export const ApplicationStatus = z.enum(['running', 'stopped']);

export const ApplicationConfig = z
  .object({
    max_tokens: z.number().int().min(1).max(1_000_000).optional().meta({ description: "Output tokens per reply (capped by the model's)" }),
    temperature: z.number().min(0).max(2).optional(),
    system_prompt: z.string().max(20_000).optional(),
    top_p: z.number().min(0).max(1).optional(),
  })
  .strict()
  .meta({ id: 'ApplicationConfig' });

export const Application = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    model_id: z.string(),
    status: ApplicationStatus,
    endpoint: z.string().meta({ description: 'URL to chat with the application (POST)' }),
    config: ApplicationConfig,
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Application' });

/** `?all=true` (admins only) lists every user's applications. */
const AllFlag = z
  .union([z.boolean(), z.enum(['true', 'false'])])
  .transform((value) => value === true || value === 'true')
  .meta({ description: "Admins only: every user's applications" });

export const ListApplicationsInput = PageInput.extend({ all: AllFlag.optional() });
export const ApplicationList = pageOf(Application);

export const AppRef = z.object({ app_id: PathIdOf('app') });

const ApplicationFields = z.object({
  name: z.string().trim().min(1).max(100),
  description: z.string().trim().max(2000),
  model_id: ModelId,
  config: ApplicationConfig,
});

export const CreateApplicationInput = ApplicationFields.extend({
  description: ApplicationFields.shape.description.default(''),
  config: ApplicationConfig.default({}),
}).strict();

export const UpdateApplicationInput = ApplicationFields.partial()
  .extend({
    ...AppRef.shape,
    config: ApplicationConfig.optional().meta({ description: 'Replaces the whole config' }),
    status: ApplicationStatus.optional(),
  })
  .strict();

export const DeletedApplication = z.object({ id: z.string(), deleted: z.literal(true) });
