import type { Database, ToolCallStatus, ToolCallVia } from '@maas/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import { reclaimOwnLeases } from '../../billing/own-funds.js';
import { reserveFunds } from '../../billing/reservations.js';
import { creditWallet } from '../../billing/wallet.js';
import type { Actor } from '../../core/context.js';
import { newId } from '../../core/ids.js';
import type { Platform } from '../../core/platform.js';

/*
 * The money of a tool call (issue 16 part 3), held like a model call's: the price is reserved
 * (model_reservations, so crash recovery gives it back if this instance dies mid-call) before the
 * tool is called, then one transaction books the outcome:
 *
 *   - the tool_calls row goes in first, ON CONFLICT DO NOTHING: its id is the settlement's
 *     idempotency key, so a replay finds it and books nothing;
 *   - success: the hold is settled, the payer is debited the price (`tool_call`) and the author
 *     credited it less the platform fee (`tool_revenue`), both ledger entries referring to the call;
 *   - anything else: the hold is released, nothing is charged.
 *
 * Lock order is the reservation row, then the API key row, then wallet rows in user-id order, as
 * in reservations.ts; two calls paying each other's tools cannot deadlock.
 */

/** The model id a tool call's reservation is recorded under (model_reservations.model_id). */
export function reservationModelId(toolId: string): string {
  return `tool:${toolId}`;
}

/**
 * Reserves `priceNano` of the payer's spendable balance (and of their key's cap). The payer's idle
 * wallet-lease money on this instance is theirs: it is given back once before answering no.
 */
export async function holdToolPrice(
  platform: Platform,
  actor: Actor,
  toolId: string,
  appId: string | null,
  priceNano: bigint,
): Promise<string | null> {
  const reserve = () =>
    reserveFunds(platform.db, {
      userId: actor.userId,
      amountNano: priceNano,
      apiKeyId: actor.apiKeyId,
      modelId: reservationModelId(toolId),
      appId,
      instanceId: platform.billingInstance.id,
    });
  const first = await reserve();
  if (first) return first.reservationId;
  if (!platform.leases) return null;
  await platform.db.transaction().execute((trx) => reclaimOwnLeases(platform, trx, actor.userId));
  return (await reserve())?.reservationId ?? null;
}

export interface ToolCallRecordInput {
  id: string;
  toolId: string;
  version: string;
  functionName: string;
  payerId: string;
  authorId: string;
  appId: string | null;
  conversationId: string | null;
  callId: string;
  requestId: string | null;
  via: ToolCallVia;
  status: ToolCallStatus;
  latencyMs: number;
  error: string | null;
}

export interface ToolCallSettlementInput {
  call: ToolCallRecordInput;
  /** The hold of the price; null when nothing was held (a free call, the author's own, a refused one). */
  reservationId: string | null;
  /** Charged only when the call's status is success and a hold exists. */
  priceNano: bigint;
  /** The author's share of the price (price less the platform fee). */
  authorShareNano: bigint;
}

export interface ToolCallSettlement {
  costNano: bigint;
  authorCreditNano: bigint;
  /** True when an earlier settlement of this call id had booked it; this one changed nothing. */
  replayed: boolean;
}

const MAX_INT4 = 2_147_483_647;

/** Books a finished tool call exactly once (see the top of this file). */
export async function settleToolCall(db: Kysely<Database>, input: ToolCallSettlementInput): Promise<ToolCallSettlement> {
  const { call } = input;
  const charge = call.status === 'success' && input.reservationId !== null && input.priceNano > 0n ? input.priceNano : 0n;
  const share = charge > 0n && input.authorShareNano > 0n ? (input.authorShareNano < charge ? input.authorShareNano : charge) : 0n;
  return db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('tool_calls')
      .values({
        id: call.id,
        tool_id: call.toolId,
        version: call.version,
        function_name: call.functionName,
        payer_id: call.payerId,
        author_id: call.authorId,
        app_id: call.appId,
        conversation_id: call.conversationId,
        call_id: call.callId.slice(0, 200),
        request_id: call.requestId,
        via: call.via,
        status: call.status,
        latency_ms: Math.min(Math.max(0, Math.round(call.latencyMs)), MAX_INT4),
        cost_nano: charge,
        author_credit_nano: share,
        error: call.error?.slice(0, 2000) ?? null,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) {
      const earlier = await trx
        .selectFrom('tool_calls')
        .select(['cost_nano', 'author_credit_nano'])
        .where('id', '=', call.id)
        .executeTakeFirstOrThrow();
      return { costNano: earlier.cost_nano, authorCreditNano: earlier.author_credit_nano, replayed: true };
    }
    if (input.reservationId === null) return { costNano: 0n, authorCreditNano: 0n, replayed: false };

    const charged = await settleHold(trx, input.reservationId, charge, call);
    if (charged === charge) {
      if (share > 0n) await creditAuthor(trx, call, share);
      return { costNano: charge, authorCreditNano: share, replayed: false };
    }
    // The hold was already gone (crash recovery took this instance for dead) and the wallet could
    // not pay from what is left: the call is recorded as free rather than overdrawing anyone.
    await trx.updateTable('tool_calls').set({ cost_nano: 0n, author_credit_nano: 0n }).where('id', '=', call.id).execute();
    return { costNano: 0n, authorCreditNano: 0n, replayed: false };
  });
}

/**
 * Settles the reservation: releases its hold from the key and the wallet and takes `charge` from
 * the balance, with the payer's `tool_call` ledger entry. Returns what was charged.
 */
async function settleHold(trx: Transaction<Database>, reservationId: string, charge: bigint, call: ToolCallRecordInput): Promise<bigint> {
  const { rows } = await sql<{ user_id: string; api_key_id: string | null; amount_nano: bigint }>`
    UPDATE model_reservations
    SET status = 'settled', settled_at = now(), charged_nano = LEAST(${charge}::bigint, amount_nano)
    WHERE id = ${reservationId} AND status = 'held'
    RETURNING user_id, api_key_id, amount_nano`.execute(trx);
  const reservation = rows[0];
  if (!reservation) return charge > 0n ? chargeWithoutHold(trx, charge, call) : 0n;
  const amount = BigInt(reservation.amount_nano);
  const taken = charge < amount ? charge : amount;
  if (reservation.api_key_id !== null) {
    await sql`UPDATE api_keys SET held_nano = held_nano - ${amount}::bigint, spent_nano = spent_nano + ${taken}::bigint
              WHERE id = ${reservation.api_key_id}`.execute(trx);
  }
  await lockWallets(trx, [reservation.user_id, call.authorId]);
  const wallet = await sql<{ balance_nano: bigint }>`
    UPDATE wallets SET held_nano = held_nano - ${amount}::bigint, balance_nano = balance_nano - ${taken}::bigint, updated_at = now()
    WHERE user_id = ${reservation.user_id}
    RETURNING balance_nano`.execute(trx);
  const balanceAfter = wallet.rows[0]?.balance_nano;
  if (taken > 0n && balanceAfter !== undefined) {
    await trx
      .insertInto('ledger_entries')
      .values({
        id: newId('txn'),
        user_id: reservation.user_id,
        amount_nano: -taken,
        balance_after_nano: BigInt(balanceAfter),
        kind: 'tool_call',
        reason: `tool ${call.toolId} ${call.functionName}`,
        reference_id: call.id,
        actor_id: call.payerId,
      })
      .execute();
  }
  return taken;
}

/** A success whose hold was released meanwhile: charged from the spendable balance if it covers the price, else not at all. */
async function chargeWithoutHold(trx: Transaction<Database>, charge: bigint, call: ToolCallRecordInput): Promise<bigint> {
  await lockWallets(trx, [call.payerId, call.authorId]);
  const { rows } = await sql<{ balance_nano: bigint }>`
    UPDATE wallets SET balance_nano = balance_nano - ${charge}::bigint, updated_at = now()
    WHERE user_id = ${call.payerId} AND balance_nano - held_nano >= ${charge}::bigint
    RETURNING balance_nano`.execute(trx);
  const balanceAfter = rows[0]?.balance_nano;
  if (balanceAfter === undefined) return 0n;
  await trx
    .insertInto('ledger_entries')
    .values({
      id: newId('txn'),
      user_id: call.payerId,
      amount_nano: -charge,
      balance_after_nano: BigInt(balanceAfter),
      kind: 'tool_call',
      reason: `tool ${call.toolId} ${call.functionName}`,
      reference_id: call.id,
      actor_id: call.payerId,
    })
    .execute();
  return charge;
}

/** Locks the payer's and the author's wallet rows in user-id order, before either is written. */
async function lockWallets(trx: Transaction<Database>, userIds: string[]): Promise<void> {
  const ordered = [...new Set(userIds)].sort();
  for (const userId of ordered) {
    await sql`SELECT 1 FROM wallets WHERE user_id = ${userId} FOR UPDATE`.execute(trx);
  }
}

async function creditAuthor(trx: Transaction<Database>, call: ToolCallRecordInput, share: bigint): Promise<void> {
  await creditWallet(trx, {
    userId: call.authorId,
    amountNano: share,
    kind: 'tool_revenue',
    reason: `tool ${call.toolId} ${call.functionName}`,
    referenceId: call.id,
    actorId: call.payerId,
  });
}
