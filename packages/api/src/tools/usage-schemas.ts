import { z } from 'zod';
import { Amount } from '../core/money.js';
import { PageInput, pageOf } from '../core/pagination.js';
import { DateOrInstantInput, Timestamp } from '../core/time.js';
import { ToolRef } from './schemas.js';

// GET /tools/{tool_id}/usage (issue 16 part 3): the calls of a tool and what they earned its author.

export const ToolUsageInput = PageInput.extend(ToolRef.shape).extend({
  since: DateOrInstantInput.optional().meta({ description: 'Inclusive start: YYYY-MM-DD (UTC) or an ISO-8601 timestamp' }),
  until: DateOrInstantInput.optional().meta({ description: 'End: YYYY-MM-DD includes that whole UTC day; a timestamp is exclusive' }),
});

export const ToolCallStatus = z.enum(['success', 'error', 'timeout', 'invalid_arguments', 'refused', 'insufficient_funds']);

export const ToolCall = z
  .object({
    id: z.string().meta({ description: '`tcall_…`; the reference of the call’s ledger entries' }),
    version: z.string(),
    function: z.string(),
    status: ToolCallStatus,
    latency_ms: z.number().int(),
    cost: Amount.meta({ description: 'What the caller paid (0 unless the call succeeded)' }),
    author_credit: Amount.meta({ description: 'What the author was credited: the cost less the platform fee' }),
    via: z.enum(['app', 'mcp']),
    app_id: z.string().nullable(),
    caller: z.object({ username: z.string() }),
    error: z.string().nullable().meta({ description: 'Why the call failed, as the caller’s model was told' }),
    created_at: Timestamp,
  })
  .meta({ id: 'ToolCall' });

export const ToolUsage = pageOf(ToolCall)
  .extend({
    totals: z.object({
      calls: z.number().int(),
      successful_calls: z.number().int(),
      charged: Amount.meta({ description: 'What callers paid' }),
      revenue: Amount.meta({ description: 'What the author was credited' }),
    }),
  })
  .meta({ id: 'ToolUsage' });
