// Video generation jobs as their owner sees them (issue 14, OpenAI's /v1/videos): create (reserve
// the requested seconds, queue), read, list, download, delete. The job worker (worker.ts) runs them.
import type { VideoJob } from '@maas/db';
import { sql } from 'kysely';
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Platform } from '../core/platform.js';
import { deleteFile, openFileContent } from '../files/service.js';
import { prepareOperationCall } from '../inference/operation-call.js';
import { assertQuantity } from '../inference/units.js';
import { reportVideoJob, settleVideoJob } from './settlement.js';

/** The longest clip a job may ask for: the reservation holds this many seconds at most. */
export const MAX_VIDEO_SECONDS = 60;

export interface CreateVideoInput {
  actor: Actor;
  /** The model's id or public name. */
  model: string;
  prompt: string;
  seconds: number;
  /** `WIDTHxHEIGHT`. */
  size: string;
  /** An image file of the caller's the video starts from (OpenAI's input_reference). */
  inputFileId?: string | null;
  signal: AbortSignal;
  requestId: string;
}

/** A job with what its file says of it (expiry), as the surfaces render it. */
export type VideoJobView = VideoJob & { file_expires_at: Date | null };

function notFound(): AppError {
  return new AppError('NOT_FOUND', { message: 'VIDEO_NOT_FOUND' });
}

function viewQuery(platform: Platform) {
  return platform.db
    .selectFrom('video_jobs')
    .leftJoin('files', 'files.id', 'video_jobs.file_id')
    .selectAll('video_jobs')
    .select('files.expires_at as file_expires_at')
    .where('video_jobs.deleted_at', 'is', null);
}

/**
 * Checks the request, holds the worst case (the requested seconds at the model's per-second price)
 * as a reservation in the database, and queues the job. Funded by a reservation rather than this
 * instance's wallet lease: another instance's worker may be the one that finishes it.
 */
export async function createVideoJob(platform: Platform, input: CreateVideoInput): Promise<VideoJobView> {
  assertQuantity(input.seconds, MAX_VIDEO_SECONDS, 'seconds');
  if (input.inputFileId) await assertReferenceImage(platform, input.actor, input.inputFileId);
  let unitPriceNano = 0n;
  const call = await prepareOperationCall(
    platform,
    { actor: input.actor, model: input.model, signal: input.signal, requestId: input.requestId },
    'video_generation',
    {
      // A model with no per-second price makes videos for free, as its owner chose.
      reserve: (model) => {
        unitPriceNano = model.pricing.units.perSecond ?? 0n;
        return unitPriceNano * BigInt(input.seconds);
      },
      funding: 'reservation',
    },
  );
  if (call.funds.kind !== 'reservation') throw new Error('a video job must be funded by a reservation');
  const job = {
    id: newId('video'),
    owner_id: input.actor.userId,
    api_key_id: input.actor.apiKeyId,
    app_id: null,
    model_id: call.model.id,
    model_name: call.model.name,
    reservation_id: call.funds.reservationId,
    unit_price_nano: unitPriceNano,
    prompt: input.prompt,
    seconds: input.seconds,
    size: input.size,
    input_file_id: input.inputFileId ?? null,
  };
  let row: VideoJob;
  try {
    row = await platform.db.insertInto('video_jobs').values(job).returningAll().executeTakeFirstOrThrow();
  } catch (error) {
    // No job, no charge: the hold goes back at once.
    await settleVideoJob(
      platform.billingDb,
      { ...job, provider_id: null, started_at: null },
      { status: 'failed', error: 'the job could not be queued' },
    ).catch(() => {});
    throw error;
  }
  platform.videoWorker.wake();
  return { ...row, file_expires_at: null };
}

/** What a reference image may be: the worker holds it in memory to send it on. */
export const REFERENCE_IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'];
export const MAX_REFERENCE_IMAGE_BYTES = 20 * 1_048_576;

/** The reference image must be the caller's own file (the same 404 as a missing one), a JPEG, PNG or WebP within the cap. */
async function assertReferenceImage(platform: Platform, actor: Actor, fileId: string): Promise<void> {
  const file = await platform.db
    .selectFrom('files')
    .select(['owner_id', 'content_type', 'bytes'])
    .where('id', '=', fileId)
    .executeTakeFirst();
  if (!file || file.owner_id !== actor.userId) {
    throw new AppError('NOT_FOUND', { message: 'FILE_NOT_FOUND', details: { field: 'input_reference' } });
  }
  if (!REFERENCE_IMAGE_TYPES.includes(file.content_type) || file.bytes > BigInt(MAX_REFERENCE_IMAGE_BYTES)) {
    throw new AppError('INVALID_REQUEST', {
      message: 'VIDEO_INPUT_REFERENCE_TYPE',
      params: { max_mb: MAX_REFERENCE_IMAGE_BYTES / 1_048_576 },
      details: { field: 'input_reference' },
    });
  }
}

/** Deletes a reference image uploaded with a create request that was then refused. */
export async function discardUpload(platform: Platform, actor: Actor, fileId: string): Promise<void> {
  await deleteFile(platform, actor, fileId).catch(() => {});
}

/** The caller's own job; anyone else's, a deleted one and a missing one are the same 404. */
export async function getVideoJob(platform: Platform, actor: Actor, videoId: string): Promise<VideoJobView> {
  const row = await viewQuery(platform).where('video_jobs.id', '=', videoId).executeTakeFirst();
  if (!row || row.owner_id !== actor.userId) throw notFound();
  return row;
}

export interface ListVideosInput {
  after?: string;
  limit: number;
  order: 'asc' | 'desc';
}

/** The caller's jobs by creation time, a cursor page after `after` (a job id), as OpenAI lists them. */
export async function listVideoJobs(platform: Platform, actor: Actor, input: ListVideosInput) {
  let query = viewQuery(platform).where('video_jobs.owner_id', '=', actor.userId);
  if (input.after) {
    const cursor = await getVideoJob(platform, actor, input.after);
    const op = input.order === 'asc' ? '>' : '<';
    query = query.where(sql<boolean>`(video_jobs.created_at, video_jobs.id) ${sql.raw(op)} (${cursor.created_at}, ${cursor.id})`);
  }
  const rows = await query
    .orderBy('video_jobs.created_at', input.order)
    .orderBy('video_jobs.id', input.order)
    .limit(input.limit + 1)
    .execute();
  return { data: rows.slice(0, input.limit), hasMore: rows.length > input.limit };
}

/** The finished clip's bytes, for its owner: a 409 before it is completed, a 404 once its file is gone. */
export async function openVideoContent(platform: Platform, actor: Actor, videoId: string) {
  const job = await getVideoJob(platform, actor, videoId);
  if (job.status !== 'completed') {
    throw new AppError('CONFLICT', { message: 'VIDEO_NOT_READY', params: { status: job.status }, details: { status: job.status } });
  }
  if (!job.file_id) throw new AppError('NOT_FOUND', { message: 'VIDEO_CONTENT_GONE' });
  try {
    return await openFileContent(platform, actor, job.file_id);
  } catch (error) {
    if (error instanceof AppError && error.status === 404) throw new AppError('NOT_FOUND', { message: 'VIDEO_CONTENT_GONE' });
    throw error;
  }
}

/**
 * Deletes a job of the caller's. A queued one is cancelled (its hold released, nothing charged);
 * a completed or failed one goes with its file; one being generated cannot be deleted (409), as
 * at OpenAI.
 */
export async function deleteVideoJob(platform: Platform, actor: Actor, videoId: string): Promise<void> {
  const job = await getVideoJob(platform, actor, videoId);
  if (job.status === 'queued') {
    const cancelled = await platform.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('video_jobs')
        .set({ status: 'failed', error_code: 'cancelled', error_message: 'deleted before it started', deleted_at: new Date() })
        .where('id', '=', job.id)
        .where('status', '=', 'queued')
        .returningAll()
        .executeTakeFirst();
      if (row) await settleVideoJob(trx, row, { status: 'failed', error: 'cancelled: deleted before it started' });
      return row;
    });
    if (cancelled) {
      reportVideoJob(platform, cancelled, { status: 'failed', error: 'cancelled' });
      return;
    }
    // A worker took it in the meantime.
    throw new AppError('CONFLICT', { message: 'VIDEO_DELETE_IN_PROGRESS' });
  }
  if (job.status === 'in_progress') throw new AppError('CONFLICT', { message: 'VIDEO_DELETE_IN_PROGRESS' });
  const deleted = await platform.db
    .updateTable('video_jobs')
    .set({ deleted_at: new Date() })
    .where('id', '=', job.id)
    .where('deleted_at', 'is', null)
    .returning('file_id')
    .executeTakeFirst();
  if (deleted?.file_id) {
    await deleteFile(platform, actor, deleted.file_id).catch((error: unknown) => {
      if (!(error instanceof AppError && error.status === 404)) throw error;
    });
  }
}
