import type { Database, LedgerEntry, LedgerKind } from '@maas/db';
import { type Kysely, sql } from 'kysely';
import { newId } from '../core/ids.js';

export interface LedgerMovement {
  userId: string;
  amountNano: bigint;
  kind: LedgerKind;
  reason?: string | null;
  referenceId?: string | null;
  actorId?: string | null;
}

/** Creates the wallet and books the sign-up credit; call inside the transaction that creates the user. */
export async function openWallet(db: Kysely<Database>, userId: string, signupCreditNano: bigint): Promise<void> {
  await db.insertInto('wallets').values({ user_id: userId, balance_nano: 0n, held_nano: 0n }).execute();
  if (signupCreditNano > 0n) {
    await creditWallet(db, { userId, amountNano: signupCreditNano, kind: 'signup_credit', reason: 'sign-up credit' });
  }
}

/**
 * Adds money and appends the ledger entry in one statement, so the balance and the ledger can
 * never disagree, whatever runs concurrently.
 */
export async function creditWallet(db: Kysely<Database>, movement: LedgerMovement): Promise<LedgerEntry> {
  if (movement.amountNano <= 0n) throw new RangeError('credit amount must be positive');
  const result = await sql<LedgerEntry>`
    WITH wallet AS (
      UPDATE wallets SET balance_nano = balance_nano + ${movement.amountNano}, updated_at = now()
      WHERE user_id = ${movement.userId}
      RETURNING balance_nano
    )
    INSERT INTO ledger_entries (id, user_id, amount_nano, balance_after_nano, kind, reason, reference_id, actor_id)
    SELECT ${newId('txn')}, ${movement.userId}, ${movement.amountNano}, wallet.balance_nano, ${movement.kind},
           ${movement.reason ?? null}, ${movement.referenceId ?? null}, ${movement.actorId ?? null}
    FROM wallet
    RETURNING *`.execute(db);
  const entry = result.rows[0];
  if (!entry) throw new Error(`wallet of ${movement.userId} does not exist`);
  return entry;
}

/**
 * Takes money if, and only if, the spendable balance (balance minus holds) covers it. Returns null
 * when it does not. The row lock of the UPDATE makes concurrent debits queue, and each re-checks
 * the condition against the committed balance, so the balance never goes below zero.
 */
export async function debitWallet(db: Kysely<Database>, movement: LedgerMovement): Promise<LedgerEntry | null> {
  if (movement.amountNano <= 0n) throw new RangeError('debit amount must be positive');
  const result = await sql<LedgerEntry>`
    WITH wallet AS (
      UPDATE wallets SET balance_nano = balance_nano - ${movement.amountNano}, updated_at = now()
      WHERE user_id = ${movement.userId} AND balance_nano - held_nano >= ${movement.amountNano}
      RETURNING balance_nano
    )
    INSERT INTO ledger_entries (id, user_id, amount_nano, balance_after_nano, kind, reason, reference_id, actor_id)
    SELECT ${newId('txn')}, ${movement.userId}, ${-movement.amountNano}, wallet.balance_nano, ${movement.kind},
           ${movement.reason ?? null}, ${movement.referenceId ?? null}, ${movement.actorId ?? null}
    FROM wallet
    RETURNING *`.execute(db);
  return result.rows[0] ?? null;
}

export async function getWallet(db: Kysely<Database>, userId: string) {
  return db.selectFrom('wallets').selectAll().where('user_id', '=', userId).executeTakeFirst();
}
