import type { BillingAddressJson, Database, ToolOrder, ToolOrdersTable } from '@maas/db';
import { type Insertable, type Kysely, sql, type Transaction } from 'kysely';
import type { z } from 'zod';
import { debitOwnFunds, reclaimOwnLeases } from '../billing/own-funds.js';
import { creditWallet, debitWallet, type LedgerMovement } from '../billing/wallet.js';
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { nanoToAmount } from '../core/money.js';
import { listPage, type PageInput } from '../core/pagination.js';
import type { Platform } from '../core/platform.js';
import { toIso } from '../core/time.js';
import type { ChargeResult, ExternalPaymentMethod, PaymentProvider } from './payments.js';
import type { PurchaseInput } from './schemas.js';
import { findVisibleTool, ownsTool, type ToolWithAuthor, toTool, toolsWithAuthor } from './service.js';

type NewOrder = Insertable<ToolOrdersTable> & { id: string; idempotency_key: string | null };

interface ProviderCharge {
  provider: PaymentProvider;
  method: ExternalPaymentMethod;
  billingAddress: BillingAddressJson | null;
}

/** How long an identical request waits for a purchase that is still being charged before answering 409. */
const PENDING_WAIT_MS = 10_000;
/** A pending order this old was abandoned (the process died mid-charge); it no longer blocks a new purchase. */
const STALE_PENDING_MS = 15 * 60_000;
const CONFLICT_RETRIES = 3;

function toOrder(order: ToolOrder) {
  return {
    id: order.id,
    tool_id: order.tool_id,
    amount: nanoToAmount(order.amount_nano),
    currency: order.currency,
    status: order.status,
    payment_method: order.payment_method,
    created_at: toIso(order.created_at),
  };
}

function parseIdempotencyKey(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return null;
  if (!/^[\x21-\x7e]{1,255}$/.test(raw)) {
    throw new AppError('INVALID_REQUEST', { message: 'TOOL_IDEMPOTENCY_KEY_INVALID', details: { field: 'Idempotency-Key' } });
  }
  return raw;
}

/**
 * Buys (or, when free, acquires) a tool. The database arbitrates every race: the unique
 * (user_id, idempotency_key) makes identical requests share one order, the partial unique
 * (user_id, tool_id) over live orders lets only one purchase of a tool per buyer proceed, and the
 * licence's primary key backs that up. Wallet payments settle in one transaction that writes the
 * order, debits the buyer, credits the author and grants the licence, or writes nothing.
 */
export async function purchaseTool(
  platform: Platform,
  actor: Actor,
  input: z.infer<typeof PurchaseInput>,
  rawIdempotencyKey: string | undefined,
) {
  const { db } = platform;
  const idempotencyKey = parseIdempotencyKey(rawIdempotencyKey);
  if (idempotencyKey) {
    const earlier = await findOrderByKey(db, actor.userId, idempotencyKey);
    if (earlier) return toOrder(await replay(db, earlier, input));
  }

  const tool = await findVisibleTool(db, actor, input.tool_id);
  if (tool.status === 'draft') throw new AppError('CONFLICT', { message: 'TOOL_NOT_PURCHASABLE' });
  if (tool.author_id === actor.userId) throw new AppError('CONFLICT', { message: 'TOOL_OWN_PURCHASE' });
  if (await ownsTool(db, actor.userId, tool.id)) {
    // An identical request may have completed since the lookup above: that is a replay, not a conflict.
    const earlier = idempotencyKey ? await findOrderByKey(db, actor.userId, idempotencyKey) : undefined;
    if (earlier) return toOrder(await replay(db, earlier, input));
    throw new AppError('CONFLICT', { message: 'TOOL_ALREADY_OWNED' });
  }

  // Free tools and balance payments settle in the wallet transaction; the rest need a provider.
  let charge: ProviderCharge | null = null;
  const method = input.payment_method;
  if (tool.price_nano > 0n && method !== 'balance') {
    const provider = platform.payments.providerFor(method);
    if (!provider) {
      throw new AppError('INVALID_REQUEST', {
        message: 'TOOL_PAYMENT_METHOD_UNAVAILABLE',
        params: { method },
        details: { field: 'payment_method', reason: 'not configured' },
      });
    }
    charge = { provider, method, billingAddress: input.billing_address ?? null };
  }

  for (let attempt = 1; ; attempt++) {
    const order: NewOrder = {
      id: newId('order'),
      user_id: actor.userId,
      tool_id: tool.id,
      amount_nano: tool.price_nano,
      currency: tool.currency,
      status: charge ? 'pending' : 'completed',
      payment_method: method,
      billing_address: input.billing_address ? JSON.stringify(input.billing_address) : null,
      idempotency_key: idempotencyKey,
    };
    const placed = charge
      ? await chargeWithProvider(platform, charge, tool, order)
      : await debitOwnFunds(platform, actor.userId, () => settleInWallet(platform, tool, order));
    if (placed) return toOrder(placed);
    // Another order won the unique key: replay it, or say why this purchase cannot happen.
    const outcome = await explainConflict(db, order, input);
    if (outcome) return toOrder(outcome);
    if (attempt >= CONFLICT_RETRIES) throw new AppError('CONFLICT', { message: 'TOOL_PURCHASE_IN_PROGRESS' });
  }
}

async function findOrderByKey(db: Kysely<Database>, userId: string, key: string): Promise<ToolOrder | undefined> {
  return db.selectFrom('tool_orders').selectAll().where('user_id', '=', userId).where('idempotency_key', '=', key).executeTakeFirst();
}

/**
 * The first result of an Idempotency-Key, answered again: the same order once it has settled, or
 * the same error when its payment failed. A key reused for another purchase is a 409.
 */
async function replay(db: Kysely<Database>, earlier: ToolOrder, input: z.infer<typeof PurchaseInput>): Promise<ToolOrder> {
  if (earlier.tool_id !== input.tool_id || earlier.payment_method !== input.payment_method) {
    throw new AppError('CONFLICT', { message: 'TOOL_IDEMPOTENCY_KEY_REUSED', details: { order_id: earlier.id } });
  }
  let order = earlier;
  const deadline = Date.now() + PENDING_WAIT_MS;
  while (order.status === 'pending' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    order = await db.selectFrom('tool_orders').selectAll().where('id', '=', order.id).executeTakeFirstOrThrow();
  }
  if (order.status === 'pending') throw new AppError('CONFLICT', { message: 'TOOL_PURCHASE_IN_PROGRESS', details: { order_id: order.id } });
  if (order.status === 'failed') throw paymentFailure(order);
  return order;
}

function paymentFailure(order: Pick<ToolOrder, 'id' | 'failure_reason'>): AppError {
  if (order.failure_reason === 'declined') {
    return new AppError('PAYMENT_REQUIRED', { message: 'TOOL_PAYMENT_DECLINED', details: { order_id: order.id } });
  }
  return new AppError('UPSTREAM_ERROR', { message: 'TOOL_PAYMENT_PROVIDER_ERROR', details: { order_id: order.id } });
}

/** Null when the order lost to a concurrent one and the caller should simply retry. */
async function explainConflict(db: Kysely<Database>, order: NewOrder, input: z.infer<typeof PurchaseInput>): Promise<ToolOrder | null> {
  if (order.idempotency_key) {
    const earlier = await findOrderByKey(db, order.user_id, order.idempotency_key);
    if (earlier) return replay(db, earlier, input);
  }
  const live = await db
    .selectFrom('tool_orders')
    .select(['id', 'status', 'updated_at'])
    .where('user_id', '=', order.user_id)
    .where('tool_id', '=', order.tool_id)
    .where('status', 'in', ['pending', 'completed'])
    .executeTakeFirst();
  if (!live) return null;
  if (live.status === 'completed') throw new AppError('CONFLICT', { message: 'TOOL_ALREADY_OWNED' });
  if (Date.now() - live.updated_at.getTime() > STALE_PENDING_MS) {
    await failOrder(db, live.id, 'abandoned', null);
    return null;
  }
  throw new AppError('CONFLICT', { message: 'TOOL_PURCHASE_IN_PROGRESS', details: { order_id: live.id } });
}

/** Inserts the order unless a unique key is taken; a concurrent holder of the key is waited for first. */
async function insertOrder(db: Kysely<Database>, order: NewOrder): Promise<ToolOrder | undefined> {
  return db
    .insertInto('tool_orders')
    .values(order)
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
}

async function failOrder(db: Kysely<Database>, orderId: string, reason: string, reference: string | null): Promise<void> {
  await db
    .updateTable('tool_orders')
    .set({ status: 'failed', failure_reason: reason, payment_reference: reference, updated_at: new Date() })
    .where('id', '=', orderId)
    .where('status', '=', 'pending')
    .execute();
}

/** Author's share of a sale or a paid tool call: the price minus the platform fee (integer percent, rounded in the author's disfavour). */
export function authorShare(priceNano: bigint, feePercent: number): bigint {
  return priceNano - (priceNano * BigInt(feePercent)) / 100n;
}

/** Licence, download count and the author's share: the part every completed purchase shares. */
async function grantTool(trx: Transaction<Database>, platform: Platform, tool: ToolWithAuthor, order: ToolOrder, paidFromWallet: boolean) {
  const share = authorShare(order.amount_nano, platform.config.platformFeePercent);
  const movements: Array<{ debit: boolean; movement: LedgerMovement }> = [];
  if (paidFromWallet && order.amount_nano > 0n) {
    movements.push({
      debit: true,
      movement: {
        userId: order.user_id,
        amountNano: order.amount_nano,
        kind: 'tool_purchase',
        reason: `tool ${tool.id}`,
        referenceId: order.id,
        actorId: order.user_id,
      },
    });
  }
  if (share > 0n) {
    movements.push({
      debit: false,
      movement: {
        userId: tool.author_id,
        amountNano: share,
        kind: 'tool_sale',
        reason: `tool ${tool.id}`,
        referenceId: order.id,
        actorId: order.user_id,
      },
    });
  }
  // Wallet rows are locked in user-id order, so a buys-from-b racing b buys-from-a cannot deadlock.
  movements.sort((x, y) => (x.movement.userId < y.movement.userId ? -1 : x.movement.userId > y.movement.userId ? 1 : 0));
  for (const { debit, movement } of movements) {
    if (!debit) {
      await creditWallet(trx, movement);
      continue;
    }
    // The buyer's idle lease money is theirs to spend: given back in this transaction, first.
    await reclaimOwnLeases(platform, trx, movement.userId);
    if (!(await debitWallet(trx, movement))) {
      throw new AppError('PAYMENT_REQUIRED', { details: { required: nanoToAmount(movement.amountNano), currency: order.currency } });
    }
  }

  const licence = await trx
    .insertInto('tool_licences')
    .values({ user_id: order.user_id, tool_id: order.tool_id, order_id: order.id })
    .onConflict((oc) => oc.doNothing())
    .returning('order_id')
    .executeTakeFirst();
  if (!licence) throw new AppError('CONFLICT', { message: 'TOOL_ALREADY_OWNED' });
  // Last, so a transaction holding this hot row waits for nothing else.
  await trx
    .updateTable('tools')
    .set({ downloads: sql`downloads + 1` })
    .where('id', '=', tool.id)
    .execute();
}

/** Balance payments and free acquisitions: everything in one transaction, or nothing (402 leaves no trace). */
async function settleInWallet(platform: Platform, tool: ToolWithAuthor, order: NewOrder): Promise<ToolOrder | null> {
  return platform.db.transaction().execute(async (trx) => {
    const placed = await insertOrder(trx, order);
    if (!placed) return null;
    await grantTool(trx, platform, tool, placed, order.payment_method === 'balance');
    return placed;
  });
}

/**
 * Card and wallet-app payments: a pending order claims the purchase first (so concurrent requests
 * cannot charge twice), the provider is called outside any transaction, and the outcome settles
 * the order.
 */
async function chargeWithProvider(
  platform: Platform,
  charge: ProviderCharge,
  tool: ToolWithAuthor,
  order: NewOrder,
): Promise<ToolOrder | null> {
  const { db } = platform;
  const pending = await insertOrder(db, order);
  if (!pending) return null;

  let outcome: ChargeResult;
  try {
    outcome = await charge.provider.charge({
      orderId: pending.id,
      amountNano: pending.amount_nano,
      currency: pending.currency,
      method: charge.method,
      billingAddress: charge.billingAddress,
    });
  } catch (error) {
    await failOrder(db, pending.id, 'provider_error', null);
    throw new AppError('UPSTREAM_ERROR', { message: 'TOOL_PAYMENT_PROVIDER_ERROR', details: { order_id: pending.id }, cause: error });
  }
  if (outcome.status !== 'succeeded') {
    await failOrder(db, pending.id, 'declined', outcome.reference);
    throw paymentFailure({ id: pending.id, failure_reason: 'declined' });
  }

  return db.transaction().execute(async (trx) => {
    const completed = await trx
      .updateTable('tool_orders')
      .set({ status: 'completed', payment_reference: outcome.reference, updated_at: new Date() })
      .where('id', '=', pending.id)
      .where('status', '=', 'pending')
      .returningAll()
      .executeTakeFirst();
    // Only a charge outliving STALE_PENDING_MS gets here; the reference on the provider side allows a refund.
    if (!completed) throw new Error(`order ${pending.id} was charged (${outcome.reference}) after it had been abandoned`);
    await grantTool(trx, platform, tool, completed, false);
    return completed;
  });
}

/** The caller's orders, newest first (completed, pending and failed). */
export async function listPurchases(db: Kysely<Database>, actor: Actor, input: PageInput) {
  const query = db.selectFrom('tool_orders').where('user_id', '=', actor.userId);
  return listPage(input, { rows: query.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc'), count: query }, toOrder);
}

/** Tools the caller holds a licence for, most recently acquired first; a deleted tool stays listed. */
export async function listOwnedTools(db: Kysely<Database>, actor: Actor, input: PageInput) {
  const rows = toolsWithAuthor(db)
    .innerJoin('tool_licences', 'tool_licences.tool_id', 'tools.id')
    .select(['tool_licences.order_id', 'tool_licences.created_at as acquired_at'])
    .where('tool_licences.user_id', '=', actor.userId)
    .orderBy('tool_licences.created_at', 'desc')
    .orderBy('tools.id', 'desc');
  const count = db.selectFrom('tool_licences').where('user_id', '=', actor.userId);
  return listPage(input, { rows, count }, (row) => ({ ...toTool(row), order_id: row.order_id, acquired_at: toIso(row.acquired_at) }));
}
