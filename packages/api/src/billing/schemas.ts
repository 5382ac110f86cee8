import { PathIdOf } from '../core/ids.js';
import { z } from 'zod';
import { Amount, CURRENCY, PositiveAmount } from '../core/money.js';
import { PageInput, pageOf } from '../core/pagination.js';
import { DateOrInstantInput, Timestamp } from '../core/time.js';

export const Wallet = z
  .object({
    balance: Amount,
    held: Amount.meta({ description: 'Reserved for model calls in flight' }),
    available: Amount.meta({ description: 'balance - held: what can be spent now' }),
    currency: z.literal(CURRENCY),
  })
  .meta({ id: 'Wallet' });

export const LedgerKind = z
  .enum([
    'signup_credit',
    'admin_credit',
    'admin_debit',
    'model_usage',
    'tool_purchase',
    'tool_sale',
    'model_revenue',
    'tool_call',
    'tool_revenue',
    'top_up',
    'redemption',
  ])
  .meta({
    description:
      'model_revenue: your share of a call to a model you serve from your own file (the charge less the platform fee); reference_id is the model. tool_call: a marketplace tool call you paid; tool_revenue: your share of a call to your tool; reference_id is the tool call. top_up and redemption: money in; reference_id is the top-up or the redemption code',
  });

export const WalletTransaction = z
  .object({
    id: z.string(),
    amount: Amount.meta({ description: 'Positive for money in, negative for money out' }),
    balance_after: Amount,
    kind: LedgerKind,
    reason: z.string().nullable(),
    reference_id: z
      .string()
      .nullable()
      .meta({ description: 'What the entry is for: the top-up (`topup_…`), the redemption code (`rcode_…`), the order or the model call' }),
    created_at: Timestamp,
  })
  .meta({ id: 'WalletTransaction' });

export const ListWalletTransactionsInput = PageInput;
export const WalletTransactionList = pageOf(WalletTransaction);

export const AdminWalletMovementInput = z
  .object({
    user_id: PathIdOf('user'),
    amount: PositiveAmount,
    reason: z.string().trim().min(1).max(500),
  })
  .strict();

export const AdminWalletTransaction = WalletTransaction.extend({ user_id: z.string() }).meta({ id: 'AdminWalletTransaction' });

/** A calendar date (`2024-01-15`, a whole UTC day) or an ISO-8601 instant. */

export const UsageQueryInput = PageInput.extend({
  from: DateOrInstantInput.optional().meta({ description: 'Inclusive start: YYYY-MM-DD (UTC) or an ISO-8601 timestamp' }),
  to: DateOrInstantInput.optional().meta({ description: 'End: YYYY-MM-DD includes that whole UTC day; a timestamp is exclusive' }),
  model_id: z.string().trim().min(1).max(200).optional(),
  app_id: z.string().trim().min(1).max(200).optional(),
  api_key_id: z.string().trim().min(1).max(200).optional(),
});

export const UsageStatus = z.enum(['success', 'failed', 'cancelled', 'partial']);

export const UsageRecord = z
  .object({
    id: z.string(),
    model_id: z.string(),
    app_id: z.string().nullable(),
    api_key_id: z.string().nullable(),
    provider_id: z.string().nullable(),
    conversation_id: z.string().nullable(),
    input_tokens: z.number().int(),
    cached_input_tokens: z
      .number()
      .int()
      .optional()
      .meta({ description: 'Of input_tokens, those read from the prompt cache; present only when there were some' }),
    output_tokens: z.number().int(),
    units: z
      .object({
        unit: z.enum(['image', 'second', '1k_characters', 'minute']),
        quantity: z
          .number()
          .meta({ description: 'How many units were delivered (seconds, thousands of characters and minutes may be fractional)' }),
        unit_price: Amount.meta({ description: 'Price of one unit in currency units' }),
      })
      .optional()
      .meta({ description: 'What a media call delivered, billed by its own unit (issue 14); absent for token-billed calls' }),
    cost: Amount,
    latency_ms: z.number().int(),
    status: UsageStatus,
    created_at: Timestamp,
  })
  .meta({ id: 'UsageRecord' });

export const UsageTotals = z.object({
  calls: z.number().int(),
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
  cost: Amount,
});

export const UsageDay = UsageTotals.extend({ date: z.string().meta({ description: 'UTC day, YYYY-MM-DD', example: '2024-01-15' }) });

export const UsageReport = pageOf(UsageRecord)
  .extend({
    totals: UsageTotals.meta({ description: 'Over every record matching the filters, not just this page' }),
    daily: z.array(UsageDay).meta({ description: 'Per UTC day with usage, oldest first' }),
  })
  .meta({ id: 'UsageReport' });
