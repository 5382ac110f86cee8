import { renameSync } from 'node:fs';
import type { Database } from '@maas/db';
import type { Kysely } from 'kysely';
import { isDatabaseUnavailable } from '../core/errors.js';
import { sql } from 'kysely';
import { bookOrphanedLeaseCalls, DEAD_AFTER_MS, rebookReleasedReservation, releaseInstanceHolds } from './crash-recovery.js';
import { collectLeaseExcess, type LeasedCallRecord, settleLeaseCalls } from './leases.js';
import { settleReservation } from './reservations.js';
import { foreignJournals, type JournaledCall, readJournal, removeJournal } from './settlement-journal.js';

/*
 * At start: books the calls that processes which died on this DATA_DIR had answered but not booked,
 * then releases what their instances still held (nothing to wait for: their process is gone).
 * An instance is gone when no process runs with its pid, or when one does but the instance has not
 * beaten for DEAD_AFTER_MS (the pid was reused after a reboot), or when the pid is ours but the
 * process start time in the file name is not (a restarted container's server is PID 1 again, the
 * same as the process it replaces). A
 * journal is deleted only once all its calls are booked; one the database refuses for another
 * reason (it belongs to another database, a bug) is logged and set aside as `.failed`.
 */

const BATCH = 500;

export interface RecoveredJournals {
  instances: number;
  calls: number;
}

export async function recoverJournals(
  db: Kysely<Database>,
  dir: string,
  onError: (error: unknown, label: string) => void,
): Promise<RecoveredJournals> {
  let calls = 0;
  let instances = 0;
  for (const [instanceId, { sameProcess, processRunning, files }] of foreignJournals(dir)) {
    if (sameProcess || (processRunning && (await beatsLately(db, instanceId)))) continue;
    const entries = files.flatMap((file) => readJournal(file));
    try {
      await bookJournaledCalls(db, entries);
      await releaseInstanceHolds(db, instanceId);
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw error;
      onError(error, 'recover-settlement-journal');
      for (const file of files) {
        try {
          renameSync(file, `${file}.failed`);
        } catch {
          removeJournal(file);
        }
      }
      continue;
    }
    for (const file of files) removeJournal(file);
    calls += entries.length;
    instances += 1;
  }
  return { instances, calls };
}

async function beatsLately(db: Kysely<Database>, instanceId: string): Promise<boolean> {
  const { rows } = await sql<{ id: string }>`
    SELECT id FROM billing_instances
    WHERE id = ${instanceId} AND heartbeat_at >= now() - ${DEAD_AFTER_MS}::double precision * interval '1 millisecond'`.execute(db);
  return rows.length > 0;
}

/** Books journaled calls; each kind of booking is idempotent, so a call booked before the crash is not booked again. */
export async function bookJournaledCalls(db: Kysely<Database>, entries: readonly JournaledCall[]): Promise<void> {
  const byLease = new Map<string, { leaseId: string; userId: string; apiKeyId: string | null; calls: LeasedCallRecord[] }>();
  for (const entry of entries) {
    if (entry.kind === 'reservation') {
      const settled = await settleReservation(db, {
        reservationId: entry.reservationId,
        actualCostNano: entry.costNano,
        usage: entry.usage,
      });
      if (settled?.alreadySettled) await rebookReleasedReservation(db, entry);
      continue;
    }
    const group = byLease.get(entry.leaseId) ?? { leaseId: entry.leaseId, userId: entry.userId, apiKeyId: entry.apiKeyId, calls: [] };
    group.calls.push(entry.call);
    byLease.set(entry.leaseId, group);
  }
  for (const lease of byLease.values()) {
    for (let start = 0; start < lease.calls.length; start += BATCH) {
      const batch = lease.calls.slice(start, start + BATCH);
      const result = await settleLeaseCalls(db, lease, batch);
      if (!result.leaseOpen) {
        await bookOrphanedLeaseCalls(db, lease, batch);
        continue;
      }
      for (const call of batch) {
        if (call.uncollectedNano !== undefined && call.uncollectedNano > 0n) {
          await collectLeaseExcess(db, {
            userId: lease.userId,
            apiKeyId: lease.apiKeyId,
            usageId: call.usageId,
            modelId: call.modelId,
            revenue: call.revenue ?? null,
          });
        }
      }
    }
  }
}
