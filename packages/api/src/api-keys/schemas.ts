import { z } from 'zod';
import { IdOf, PathIdOf } from '../core/ids.js';
import { Amount, PositiveAmount } from '../core/money.js';
import { PageInput, pageOf } from '../core/pagination.js';
import { InstantInput, Timestamp } from '../core/time.js';

export const ApiKeyId = IdOf('key');
export const ModelIdList = z
  .array(z.string().trim().min(1).max(200))
  .min(1)
  .max(100)
  .meta({ description: 'Model ids this key may call; omit or null for all models' });

export const ToolIdList = z
  .array(IdOf('tool'))
  .min(1)
  .max(100)
  .meta({ description: 'Marketplace tool ids this key reaches through the MCP endpoint (/mcp); omit or null for all your tools' });

export const CreateApiKeyInput = z
  .object({
    name: z.string().trim().min(1).max(100),
    expires_at: InstantInput.nullable().optional().meta({ description: 'ISO-8601; omit for a key that does not expire' }),
    allowed_models: ModelIdList.nullable().optional(),
    allowed_tools: ToolIdList.nullable().optional(),
    spend_cap: PositiveAmount.nullable().optional().meta({ description: 'Most this key may ever spend, in currency units' }),
  })
  .strict();

export const ApiKey = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().meta({ description: 'The first characters of the key, e.g. "sk-abc1…"', example: 'sk-abc1…' }),
    status: z.enum(['active', 'expired']),
    allowed_models: z.array(z.string()).nullable(),
    allowed_tools: z.array(z.string()).nullable(),
    spend_cap: Amount.nullable(),
    spent: Amount,
    expires_at: Timestamp.nullable(),
    last_used_at: Timestamp.nullable(),
    created_at: Timestamp,
  })
  .meta({ id: 'ApiKey' });

export const CreatedApiKey = ApiKey.extend({
  key: z.string().meta({ description: 'The full key. Shown only in this response; store it now.', example: 'sk-…' }),
}).meta({ id: 'CreatedApiKey' });

export const ListApiKeysInput = PageInput;
export const ApiKeyList = pageOf(ApiKey);

export const RevokeApiKeyInput = z.object({ key_id: PathIdOf('key') }).strict();
export const RevokeApiKeyResult = z.object({ id: z.string(), revoked: z.literal(true) });
