import type { Database, WalletTopUp } from '@maas/db';
import type { Kysely, Transaction } from 'kysely';
import type Stripe from 'stripe';
import type { z } from 'zod';
import { AppError } from '../core/errors.js';
import type { Platform } from '../core/platform.js';
import type { StripeWebhookReceipt } from './schemas.js';
import { creditTopUp } from './service.js';
import { toMinorUnits } from './stripe.js';

/** What one event did, kept with its id in payment_events. */
export type WebhookOutcome = z.infer<typeof StripeWebhookReceipt>['outcome'];

/**
 * A Stripe webhook delivery: verified against the raw body, then applied at most once per event id
 * (payment_events' primary key) and credited at most once per top-up (the top-up's row lock and
 * status, backed by the ledger's unique (kind, reference_id)). Events it does not handle are
 * answered 200 and ignored, so Stripe does not retry them.
 */
export async function handleStripeWebhook(
  platform: Platform,
  payload: string,
  signature: string | undefined,
): Promise<{ received: true; outcome: WebhookOutcome }> {
  const stripe = platform.stripeCheckout;
  if (!stripe) throw new AppError('NOT_FOUND', { message: 'WEBHOOK_NOT_CONFIGURED' });
  const event = stripe.verifyEvent(payload, signature);
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded':
      return { received: true, outcome: await applyOnce(platform, event, event.data.object, 'paid') };
    case 'checkout.session.async_payment_failed':
    case 'checkout.session.expired':
      return { received: true, outcome: await applyOnce(platform, event, event.data.object, 'failed') };
    default:
      return { received: true, outcome: 'ignored' };
  }
}

/** One event in one transaction: recorded by its id first, so a second delivery finds it and stops. */
async function applyOnce(
  platform: Platform,
  event: { id: string; type: string },
  session: Stripe.Checkout.Session,
  meaning: 'paid' | 'failed',
): Promise<WebhookOutcome> {
  const topUpId = session.client_reference_id ?? session.metadata?.top_up_id ?? null;
  return platform.db.transaction().execute(async (trx) => {
    const first = await trx
      .insertInto('payment_events')
      .values({ provider: 'stripe', event_id: event.id, type: event.type, top_up_id: topUpId, outcome: 'ignored' })
      .onConflict((conflict) => conflict.columns(['provider', 'event_id']).doNothing())
      .returning('event_id')
      .executeTakeFirst();
    if (!first) return 'duplicate';
    const topUp = topUpId ? await lockTopUp(trx, topUpId) : undefined;
    const outcome: WebhookOutcome = !topUp
      ? 'unknown_top_up'
      : meaning === 'paid'
        ? await complete(trx, topUp, session)
        : await fail(trx, topUp, event.type);
    await trx.updateTable('payment_events').set({ outcome }).where('provider', '=', 'stripe').where('event_id', '=', event.id).execute();
    return outcome;
  });
}

async function lockTopUp(trx: Transaction<Database>, topUpId: string) {
  return trx
    .selectFrom('wallet_top_ups')
    .selectAll()
    .where('id', '=', topUpId)
    .where('provider', '=', 'stripe')
    .forUpdate()
    .executeTakeFirst();
}

/**
 * Completes the top-up and credits its amount, the one recorded when it was started: the session
 * must be this top-up's, paid, and for exactly that amount and currency, or nothing is credited.
 */
async function complete(db: Kysely<Database>, topUp: WalletTopUp, session: Stripe.Checkout.Session): Promise<WebhookOutcome> {
  if (session.payment_status !== 'paid') return 'not_paid';
  if (topUp.reference !== null && topUp.reference !== session.id) return 'session_mismatch';
  if (topUp.status === 'completed') return 'already_completed';
  if (topUp.failure_reason === 'amount_mismatch') return 'amount_mismatch';
  const expected = toMinorUnits(topUp.amount_nano);
  const amountMatches = expected !== null && session.amount_total !== null && BigInt(session.amount_total) === expected;
  if (!amountMatches || session.currency?.toLowerCase() !== topUp.currency.toLowerCase()) {
    await db
      .updateTable('wallet_top_ups')
      .set({ status: 'failed', failure_reason: 'amount_mismatch', updated_at: new Date() })
      .where('id', '=', topUp.id)
      .execute();
    return 'amount_mismatch';
  }
  const completed = await db
    .updateTable('wallet_top_ups')
    .set({ status: 'completed', completed_at: new Date(), reference: session.id, failure_reason: null, updated_at: new Date() })
    .where('id', '=', topUp.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await creditTopUp(db, completed, `Top-up via Stripe Checkout ${session.id}`);
  return 'credited';
}

/** A payment that failed or a session that expired: a pending top-up fails; anything else stays. */
async function fail(db: Kysely<Database>, topUp: WalletTopUp, eventType: string): Promise<WebhookOutcome> {
  if (topUp.status !== 'pending') return 'ignored';
  const reason = eventType === 'checkout.session.expired' ? 'expired' : 'payment_failed';
  await db
    .updateTable('wallet_top_ups')
    .set({ status: 'failed', failure_reason: reason, updated_at: new Date() })
    .where('id', '=', topUp.id)
    .execute();
  return 'failed';
}
