import type { Database, LedgerEntry } from '@maas/db';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { Actor } from '../core/context.js';
import type { Platform } from '../core/platform.js';
import { AppError } from '../core/errors.js';
import { CURRENCY, nanoToAmount, nanoToDecimalString } from '../core/money.js';
import { listPage } from '../core/pagination.js';
import { toIso } from '../core/time.js';
import type { AdminWalletMovementInput, ListWalletTransactionsInput } from './schemas.js';
import { debitOwnFunds, reclaimOwnLeases } from './own-funds.js';
import { creditWallet, debitWallet, getWallet } from './wallet.js';

function toWalletTransaction(entry: LedgerEntry) {
  return {
    id: entry.id,
    amount: nanoToAmount(entry.amount_nano),
    balance_after: nanoToAmount(entry.balance_after_nano),
    kind: entry.kind,
    reason: entry.reason,
    reference_id: entry.reference_id,
    created_at: toIso(entry.created_at),
  };
}

function toAdminWalletTransaction(entry: LedgerEntry) {
  return { ...toWalletTransaction(entry), user_id: entry.user_id };
}

export async function getOwnWallet(db: Kysely<Database>, actor: Actor) {
  const wallet = await getWallet(db, actor.userId);
  if (!wallet) throw new AppError('NOT_FOUND', { message: 'WALLET_NOT_FOUND' });
  return {
    balance: nanoToAmount(wallet.balance_nano),
    held: nanoToAmount(wallet.held_nano),
    available: nanoToAmount(wallet.balance_nano - wallet.held_nano),
    currency: CURRENCY,
  } as const;
}

/** The caller's ledger, newest first. */
export async function listWalletTransactions(db: Kysely<Database>, actor: Actor, input: z.infer<typeof ListWalletTransactionsInput>) {
  const query = db.selectFrom('ledger_entries').where('user_id', '=', actor.userId);
  return listPage(
    input,
    { rows: query.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc'), count: query },
    toWalletTransaction,
  );
}

export async function adminCreditWallet(db: Kysely<Database>, actor: Actor, input: z.infer<typeof AdminWalletMovementInput>) {
  // Users are never deleted (the ledger refers to them), so checking first cannot race a delete.
  if (!(await getWallet(db, input.user_id))) throw new AppError('NOT_FOUND', { message: 'WALLET_NOT_FOUND' });
  const entry = await creditWallet(db, {
    userId: input.user_id,
    amountNano: input.amount,
    kind: 'admin_credit',
    reason: input.reason,
    actorId: actor.userId,
  });
  return toAdminWalletTransaction(entry);
}

/**
 * Takes money from a user's available balance, counting what their idle wallet leases hold (it is
 * given back first); more than that answers 402, nothing moves.
 */
export async function adminDebitWallet(platform: Platform, actor: Actor, input: z.infer<typeof AdminWalletMovementInput>) {
  const entry = await debitOwnFunds(platform, input.user_id, () =>
    platform.db.transaction().execute(async (trx) => {
      if (!(await getWallet(trx, input.user_id))) throw new AppError('NOT_FOUND', { message: 'WALLET_NOT_FOUND' });
      await reclaimOwnLeases(platform, trx, input.user_id);
      const debited = await debitWallet(trx, {
        userId: input.user_id,
        amountNano: input.amount,
        kind: 'admin_debit',
        reason: input.reason,
        actorId: actor.userId,
      });
      if (debited) return debited;
      const wallet = await getWallet(trx, input.user_id);
      const available = wallet ? wallet.balance_nano - wallet.held_nano : 0n;
      throw new AppError('PAYMENT_REQUIRED', {
        message: 'INSUFFICIENT_AVAILABLE_BALANCE',
        params: { available: nanoToDecimalString(available) },
        details: { available: nanoToAmount(available) },
      });
    }),
  );
  return toAdminWalletTransaction(entry);
}
