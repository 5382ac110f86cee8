// How a video job is paid for (issue 14): the request reserved the requested seconds at the
// model's per-second price; the job's end settles that reservation in the same transaction that
// records the end, so a job is completed (or failed) exactly when its reservation is settled, on
// whichever instance ran it. A failed or cancelled job costs nothing.
import type { Database, VideoJob } from '@maas/db';
import type { Kysely } from 'kysely';
import { settleReservation } from '../billing/reservations.js';
import type { Platform } from '../core/platform.js';
import { type BilledUnits, unitsCost, unitsJson } from '../inference/units.js';

export type VideoJobEnd = { status: 'success'; billedMs: number; providerId: string } | { status: 'failed'; error: string };

export function billedSeconds(job: Pick<VideoJob, 'unit_price_nano'>, billedMs: number): BilledUnits {
  return { unit: 'second', milliseconds: billedMs, unitPriceNano: job.unit_price_nano };
}

type SettledJob = Pick<
  VideoJob,
  'reservation_id' | 'unit_price_nano' | 'owner_id' | 'app_id' | 'api_key_id' | 'model_id' | 'provider_id' | 'started_at'
>;

/** Settles the job's reservation (exactly once: a second call changes nothing); run it inside the job's transaction. */
export async function settleVideoJob(db: Kysely<Database>, job: SettledJob, end: VideoJobEnd): Promise<void> {
  const units = end.status === 'success' ? billedSeconds(job, end.billedMs) : null;
  await settleReservation(db, {
    reservationId: job.reservation_id,
    actualCostNano: units ? unitsCost(units) : 0n,
    usage: {
      userId: job.owner_id,
      appId: job.app_id,
      apiKeyId: job.api_key_id,
      modelId: job.model_id,
      providerId: end.status === 'success' ? end.providerId : job.provider_id,
      inputTokens: 0,
      outputTokens: 0,
      units: units ? JSON.stringify(unitsJson(units)) : null,
      latencyMs: job.started_at ? Date.now() - job.started_at.getTime() : 0,
      status: end.status,
      error: end.status === 'failed' ? end.error : null,
    },
  });
}

/** Metrics and popularity for a finished job, once its transaction committed. */
export function reportVideoJob(platform: Platform, job: Pick<VideoJob, 'model_id' | 'started_at'>, end: VideoJobEnd): void {
  platform.telemetry.modelCall({
    modelId: job.model_id,
    providerId: end.status === 'success' ? end.providerId : null,
    status: end.status,
    inputTokens: 0,
    outputTokens: 0,
    latencyMs: job.started_at ? Date.now() - job.started_at.getTime() : 0,
  });
  if (end.status === 'success') platform.callCounts.add(job.model_id);
}
