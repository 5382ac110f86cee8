import type { Database, WalletTopUp, WalletTopUpsTable } from '@maas/db';
import type { Insertable, Kysely } from 'kysely';
import type { z } from 'zod';
import { creditWallet } from '../billing/wallet.js';
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { CURRENCY, nanoToAmount } from '../core/money.js';
import { listPage, type PageInput } from '../core/pagination.js';
import type { Platform } from '../core/platform.js';
import { toIso, toIsoOrNull } from '../core/time.js';
import type { CreateTopUpInput } from './schemas.js';
import { type StripeCheckout, toMinorUnits } from './stripe.js';

type NewTopUp = Insertable<WalletTopUpsTable> & { id: string };

export function toTopUp(row: WalletTopUp) {
  return {
    id: row.id,
    amount: nanoToAmount(row.amount_nano),
    currency: row.currency,
    provider: row.provider,
    status: row.status,
    checkout_url: row.status === 'pending' ? row.checkout_url : null,
    reference: row.reference,
    created_at: toIso(row.created_at),
    completed_at: toIsoOrNull(row.completed_at),
  };
}

function parseIdempotencyKey(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return null;
  if (!/^[\x21-\x7e]{1,255}$/.test(raw)) {
    throw new AppError('INVALID_REQUEST', { message: 'TOP_UP_IDEMPOTENCY_KEY_INVALID', details: { field: 'Idempotency-Key' } });
  }
  return raw;
}

/**
 * Starts a top-up. The sandbox completes it at once: the top-up and its ledger entry are written in
 * one transaction. Stripe answers it pending with the Checkout URL; the webhook completes it. The
 * unique (user_id, idempotency_key) makes identical requests share one top-up.
 */
export async function createTopUp(
  platform: Platform,
  actor: Actor,
  input: z.infer<typeof CreateTopUpInput>,
  rawIdempotencyKey: string | undefined,
) {
  const idempotencyKey = parseIdempotencyKey(rawIdempotencyKey);
  if (idempotencyKey) {
    const earlier = await findByKey(platform.db, actor.userId, idempotencyKey);
    if (earlier) return toTopUp(await replay(platform, earlier, input));
  }
  const base: NewTopUp = {
    id: newId('topup'),
    user_id: actor.userId,
    amount_nano: input.amount,
    currency: CURRENCY,
    provider: input.provider,
    idempotency_key: idempotencyKey,
  };

  if (input.provider === 'sandbox') {
    // Never in production unless asked for (MAAS_PAYMENT_SANDBOX): it makes money from nothing.
    if (!platform.config.paymentSandbox) throw new AppError('FORBIDDEN', { message: 'TOP_UP_SANDBOX_DISABLED' });
    const placed = await platform.db.transaction().execute(async (trx) => {
      const row = await insertTopUp(trx, { ...base, status: 'completed', reference: `sandbox_${base.id}`, completed_at: new Date() });
      if (row) await creditTopUp(trx, row, 'Top-up (sandbox)');
      return row;
    });
    return toTopUp(placed ?? (await replayLostRace(platform, actor, idempotencyKey, input)));
  }

  const stripe = platform.stripeCheckout;
  if (!stripe) {
    throw new AppError('INVALID_REQUEST', {
      message: 'TOP_UP_PROVIDER_NOT_CONFIGURED',
      params: { provider: 'stripe' },
      details: { field: 'provider', reason: 'not configured' },
    });
  }
  if (toMinorUnits(input.amount) === null) {
    throw new AppError('INVALID_REQUEST', {
      message: 'TOP_UP_AMOUNT_PRECISION',
      params: { provider: 'Stripe' },
      details: { field: 'amount', reason: 'at most 2 decimals' },
    });
  }
  const row = await insertTopUp(platform.db, base);
  if (!row) return toTopUp(await replayLostRace(platform, actor, idempotencyKey, input));
  return toTopUp(await startCheckout(platform, stripe, row));
}

/** Books a completed top-up in the ledger; the ledger's unique (kind, reference_id) refuses a second. */
export async function creditTopUp(db: Kysely<Database>, topUp: WalletTopUp, reason: string) {
  return creditWallet(db, { userId: topUp.user_id, amountNano: topUp.amount_nano, kind: 'top_up', reason, referenceId: topUp.id });
}

async function insertTopUp(db: Kysely<Database>, values: NewTopUp): Promise<WalletTopUp | undefined> {
  return db
    .insertInto('wallet_top_ups')
    .values(values)
    .onConflict((conflict) => conflict.columns(['user_id', 'idempotency_key']).where('idempotency_key', 'is not', null).doNothing())
    .returningAll()
    .executeTakeFirst();
}

async function findByKey(db: Kysely<Database>, userId: string, key: string) {
  return db.selectFrom('wallet_top_ups').selectAll().where('user_id', '=', userId).where('idempotency_key', '=', key).executeTakeFirst();
}

/** An identical request inserted first (the insert found its key): answer that one. */
async function replayLostRace(platform: Platform, actor: Actor, key: string | null, input: z.infer<typeof CreateTopUpInput>) {
  const earlier = key ? await findByKey(platform.db, actor.userId, key) : undefined;
  if (!earlier) throw new Error('top-up insert conflicted without an idempotency key');
  return replay(platform, earlier, input);
}

/**
 * The first top-up of an Idempotency-Key, answered again. A Stripe one without a session yet (the
 * first request is still at Stripe, or Stripe failed it) asks Stripe again under the same Stripe
 * idempotency key, which answers the same session rather than a second one.
 */
async function replay(platform: Platform, earlier: WalletTopUp, input: z.infer<typeof CreateTopUpInput>): Promise<WalletTopUp> {
  if (earlier.amount_nano !== input.amount || earlier.provider !== input.provider) {
    throw new AppError('CONFLICT', { message: 'TOP_UP_IDEMPOTENCY_KEY_REUSED', details: { topup_id: earlier.id } });
  }
  const retryable = earlier.status === 'pending' || earlier.failure_reason === 'provider_error';
  if (earlier.provider === 'stripe' && earlier.reference === null && retryable && platform.stripeCheckout) {
    return startCheckout(platform, platform.stripeCheckout, earlier);
  }
  return earlier;
}

async function startCheckout(platform: Platform, stripe: StripeCheckout, topUp: WalletTopUp): Promise<WalletTopUp> {
  let session;
  try {
    session = await stripe.createSession({
      topUpId: topUp.id,
      userId: topUp.user_id,
      amountNano: topUp.amount_nano,
      currency: topUp.currency,
      returnUrl: `${platform.config.publicUrl}/wallet?top_up=${topUp.id}`,
    });
  } catch (error) {
    await platform.db
      .updateTable('wallet_top_ups')
      .set({ status: 'failed', failure_reason: 'provider_error', updated_at: new Date() })
      .where('id', '=', topUp.id)
      .where('status', '=', 'pending')
      .where('reference', 'is', null)
      .execute();
    throw error;
  }
  const updated = await platform.db
    .updateTable('wallet_top_ups')
    .set({ reference: session.id, checkout_url: session.url, status: 'pending', failure_reason: null, updated_at: new Date() })
    .where('id', '=', topUp.id)
    .where('status', '!=', 'completed')
    .returningAll()
    .executeTakeFirst();
  // Completed meanwhile (the payer was faster than this answer): the row as it now is.
  return updated ?? platform.db.selectFrom('wallet_top_ups').selectAll().where('id', '=', topUp.id).executeTakeFirstOrThrow();
}

/** The caller's top-ups, newest first. */
export async function listTopUps(db: Kysely<Database>, actor: Actor, input: PageInput) {
  const query = db.selectFrom('wallet_top_ups').where('user_id', '=', actor.userId);
  return listPage(input, { rows: query.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc'), count: query }, toTopUp);
}

/** One of the caller's top-ups; anyone else's is a 404, as if it did not exist. */
export async function getTopUp(db: Kysely<Database>, actor: Actor, topUpId: string) {
  const row = await db
    .selectFrom('wallet_top_ups')
    .selectAll()
    .where('id', '=', topUpId)
    .where('user_id', '=', actor.userId)
    .executeTakeFirst();
  if (!row) throw new AppError('NOT_FOUND', { message: 'TOP_UP_NOT_FOUND' });
  return toTopUp(row);
}
