import { z } from 'zod';
import { IdOf, PathIdOf } from '../core/ids.js';
import { Amount, amountInput, CURRENCY, NANO_PER_UNIT } from '../core/money.js';
import { PageInput, pageOf } from '../core/pagination.js';
import { InstantInput, Timestamp } from '../core/time.js';

/** Largest single top-up or code: far above a normal payment, below Stripe's own per-session limit. */
export const MAX_TOP_UP_NANO = 100_000n * NANO_PER_UNIT;

const MoneyInAmount = amountInput({
  zero: 'refused',
  max: MAX_TOP_UP_NANO,
  rangeMessage: 'amount must be > 0 and at most 100000',
  noun: 'amount',
}).meta({ description: 'Amount in currency units (up to 9 decimals; Stripe takes 2), at most 100000', example: 50 });

export const TopUpProvider = z.enum(['sandbox', 'stripe']);
export const TopUpStatus = z.enum(['pending', 'completed', 'failed']);

export const CreateTopUpInput = z
  .object({
    amount: MoneyInAmount,
    provider: TopUpProvider.meta({
      description: '`sandbox` completes at once without real money (development, tests); `stripe` answers a Checkout URL to pay at',
    }),
  })
  .strict();

export const TopUpHeaders = z.object({
  'idempotency-key': z
    .string()
    .max(255)
    .optional()
    .meta({ description: 'Makes retries safe: a repeated key answers the first top-up again instead of starting another' }),
});

export const TopUp = z
  .object({
    id: z.string().meta({ example: 'topup_abc123' }),
    amount: Amount,
    currency: z.string().meta({ example: CURRENCY }),
    provider: TopUpProvider,
    status: TopUpStatus.meta({ description: '`completed` once the wallet is credited (exactly once)' }),
    checkout_url: z.string().nullable().meta({ description: 'Where to pay a pending Stripe top-up; null for the sandbox' }),
    reference: z.string().nullable().meta({ description: "The provider's id of the payment (a Stripe Checkout Session id)" }),
    created_at: Timestamp,
    completed_at: Timestamp.nullable(),
  })
  .meta({ id: 'TopUp' });

export const TopUpList = pageOf(TopUp);
export const TopUpRef = z.object({ topup_id: PathIdOf('topup') });

export const RedeemInput = z
  .object({
    code: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .meta({ description: 'The code as given, e.g. MAAS-ABCD-…; case, spaces and dashes do not matter' }),
  })
  .strict();

export const Redemption = z
  .object({
    id: z.string().meta({ description: 'The redemption code id (`rcode_…`), the reference of the ledger entry' }),
    amount: Amount,
    currency: z.string(),
    transaction_id: z.string().meta({ description: 'The ledger entry that credited the wallet' }),
    balance_after: Amount,
    redeemed_at: Timestamp,
  })
  .meta({ id: 'Redemption' });

export const MintRedemptionCodesInput = z
  .object({
    count: z.number().int().min(1).max(1000),
    amount: MoneyInAmount,
    expires_at: InstantInput.optional().meta({ description: 'ISO-8601; unset: the codes never expire' }),
    note: z.string().trim().max(500).optional(),
  })
  .strict();

const BatchFields = {
  amount: Amount,
  currency: z.string(),
  expires_at: Timestamp.nullable(),
  note: z.string().nullable(),
};

export const RedemptionCodeBatch = z
  .object({
    id: z.string().meta({ example: 'rcbatch_abc123' }),
    count: z.number().int(),
    ...BatchFields,
    created_at: Timestamp,
    codes: z.array(z.string()).meta({ description: 'The plain codes, shown this once: only their hashes are stored' }),
  })
  .meta({ id: 'RedemptionCodeBatch' });

export const RedemptionCodeStatus = z.enum(['unused', 'redeemed', 'expired']);

export const RedemptionCodeSummary = z
  .object({
    id: z.string(),
    batch_id: z.string(),
    ...BatchFields,
    status: RedemptionCodeStatus,
    redeemed_by: z.string().nullable(),
    redeemed_at: Timestamp.nullable(),
    created_at: Timestamp,
  })
  .meta({ id: 'RedemptionCodeSummary' });

export const ListRedemptionCodesInput = PageInput.extend({
  batch_id: IdOf('rcbatch').optional(),
  status: RedemptionCodeStatus.optional(),
});
export const RedemptionCodeList = pageOf(RedemptionCodeSummary);

/** What Stripe posts (an Event); only documented here: the host route verifies and reads the raw text. */
export const StripeWebhookEvent = z.looseObject({
  id: z.string().meta({ example: 'evt_123' }),
  type: z.string().meta({ example: 'checkout.session.completed' }),
  data: z.looseObject({ object: z.looseObject({}) }),
});

export const StripeWebhookHeaders = z.object({
  'stripe-signature': z.string().meta({ description: "Stripe's signature of the raw body (`t=…,v1=…`)" }),
});

export const StripeWebhookReceipt = z
  .object({
    received: z.literal(true),
    outcome: z
      .enum([
        'credited',
        'duplicate',
        'ignored',
        'unknown_top_up',
        'not_paid',
        'already_completed',
        'session_mismatch',
        'amount_mismatch',
        'failed',
      ])
      .meta({ description: 'What the event did; `duplicate` for an event id already handled' }),
  })
  .meta({ id: 'StripeWebhookReceipt' });
