import type { Database } from '@maas/db';
import type { Kysely } from 'kysely';
import { AppError } from '../core/errors.js';
import type { Platform } from '../core/platform.js';
import { awaitLeaseReclaim, requestLeaseReclaim } from './lease-reclaim.js';

/*
 * A user's wallet leases hold their money for model calls not made yet; a debit of theirs (a tool
 * purchase, an admin debit) must be able to spend it. Only money held by calls really in flight
 * may make such a debit answer 402. See lease-reclaim.ts for how the leases give it back.
 */

/** How long a debit waits for other instances to give back their leases of the user. */
const RECLAIM_WAIT_MS = 3_000;

/**
 * In the debit's transaction, right before the debit: shrinks this instance's leases of the user
 * to what their calls need, atomically with the debit.
 */
export async function reclaimOwnLeases(platform: Platform, trx: Kysely<Database>, userId: string): Promise<void> {
  await platform.leases?.reclaimForDebit(trx, userId);
}

/**
 * Runs `debit` (a transaction that calls reclaimOwnLeases before taking the money); when it answers
 * 402 while other instances still hold leases of the user, asks them for the money back, waits for
 * their answers and runs it once more. `debit` must leave nothing behind when it fails.
 */
export async function debitOwnFunds<T>(platform: Platform, userId: string, debit: () => Promise<T>): Promise<T> {
  try {
    return await debit();
  } catch (error) {
    if (!(error instanceof AppError) || error.appCode !== 'PAYMENT_REQUIRED') throw error;
    const asked = await requestLeaseReclaim(platform.db, userId);
    if (asked.length === 0) throw error;
    await awaitLeaseReclaim(platform.db, asked, RECLAIM_WAIT_MS);
    return debit();
  }
}
