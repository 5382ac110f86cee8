// The job queue's state changes, each one statement or one transaction, so several instances'
// workers share the queue without running a job twice (issue 14):
// - a worker claims the oldest runnable job with one UPDATE over `FOR UPDATE SKIP LOCKED`: two
//   workers never get the same row, and neither waits for the other;
// - a claim lasts `leaseMs` and the running worker renews it; every later change by that worker is
//   guarded by `claimed_by`, so a worker whose claim lapsed (it stalled, its instance died) and was
//   taken over changes nothing;
// - a job ends (completed or failed) in the transaction that settles its reservation.
import type { VideoJob } from '@maas/db';
import { sql } from 'kysely';
import type { Platform } from '../core/platform.js';
import { reportVideoJob, settleVideoJob, type VideoJobEnd } from './settlement.js';

function msFromNow(ms: number) {
  return sql<Date>`now() + ${ms}::double precision * interval '1 millisecond'`;
}

/**
 * Claims the oldest queued job, or one whose claim lapsed (its worker is gone) that has attempts
 * left; null when there is none.
 */
export async function claimNextJob(platform: Platform, workerId: string, leaseMs: number, maxAttempts: number): Promise<VideoJob | null> {
  const result = await sql<VideoJob>`
    UPDATE video_jobs
    SET status = 'in_progress', claimed_by = ${workerId}, claimed_until = ${msFromNow(leaseMs)},
        attempts = attempts + 1, progress = 0, started_at = now()
    WHERE id = (
      SELECT id FROM video_jobs
      WHERE deleted_at IS NULL AND attempts < ${maxAttempts}
        AND (status = 'queued' OR (status = 'in_progress' AND claimed_until < now()))
      ORDER BY created_at, id
      LIMIT 1
      FOR UPDATE SKIP LOCKED
    )
    RETURNING *`.execute(platform.db);
  return result.rows[0] ?? null;
}

/** Renews the claim, with the progress so far; false when it is no longer this worker's. */
export async function renewClaim(
  platform: Platform,
  job: VideoJob,
  workerId: string,
  leaseMs: number,
  progress?: number,
): Promise<boolean> {
  const row = await platform.db
    .updateTable('video_jobs')
    .set({ claimed_until: msFromNow(leaseMs), ...(progress === undefined ? {} : { progress: Math.min(99, Math.max(0, progress)) }) })
    .where('id', '=', job.id)
    .where('claimed_by', '=', workerId)
    .where('status', '=', 'in_progress')
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Puts a job this worker is giving up on (shutdown) back in the queue, the attempt not counted. */
export async function requeueJob(platform: Platform, job: VideoJob, workerId: string): Promise<void> {
  await platform.db
    .updateTable('video_jobs')
    .set((eb) => ({ status: 'queued', claimed_by: null, claimed_until: null, progress: 0, attempts: eb('attempts', '-', 1) }))
    .where('id', '=', job.id)
    .where('claimed_by', '=', workerId)
    .where('status', '=', 'in_progress')
    .execute();
}

type Guard = { workerId: string } | { lapsedAfterAttempts: number };

/**
 * Ends a running job and settles its reservation in one transaction: completed with its file, or
 * failed (nothing charged). Returns false, changing nothing, when the guard no longer holds.
 */
export async function endJob(
  platform: Platform,
  job: VideoJob,
  guard: Guard,
  end: VideoJobEnd & { fileId?: string; errorCode?: string },
): Promise<boolean> {
  const ended = await platform.db.transaction().execute(async (trx) => {
    let update = trx
      .updateTable('video_jobs')
      .set(
        end.status === 'success'
          ? { status: 'completed', progress: 100, file_id: end.fileId ?? null, billed_ms: end.billedMs, provider_id: end.providerId }
          : { status: 'failed', error_code: end.errorCode ?? 'video_generation_failed', error_message: end.error.slice(0, 2000) },
      )
      .set({ completed_at: new Date(), claimed_by: null, claimed_until: null })
      .where('id', '=', job.id)
      .where('status', '=', 'in_progress');
    update =
      'workerId' in guard
        ? update.where('claimed_by', '=', guard.workerId)
        : update.where('claimed_until', '<', sql<Date>`now()`).where('attempts', '>=', guard.lapsedAfterAttempts);
    const row = await update.returningAll().executeTakeFirst();
    if (row) await settleVideoJob(trx, row, end);
    return row;
  });
  if (ended) reportVideoJob(platform, ended, end);
  return ended !== undefined;
}

/** Fails the jobs whose worker vanished after their last attempt (nothing charged); returns how many. */
export async function failAbandonedJobs(platform: Platform, maxAttempts: number): Promise<number> {
  const abandoned = await platform.db
    .selectFrom('video_jobs')
    .selectAll()
    .where('status', '=', 'in_progress')
    .where('claimed_until', '<', sql<Date>`now()`)
    .where('attempts', '>=', maxAttempts)
    .limit(50)
    .execute();
  let failed = 0;
  for (const job of abandoned) {
    const ended = await endJob(
      platform,
      job,
      { lapsedAfterAttempts: maxAttempts },
      { status: 'failed', error: 'the worker running this video stopped responding', errorCode: 'worker_lost' },
    );
    if (ended) failed += 1;
  }
  return failed;
}
