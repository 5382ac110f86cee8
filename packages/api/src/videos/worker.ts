// The video job worker (issue 14): a platform member the server starts and stops. Every
// `pollMs` (and at once when this instance queues a job) it claims queued jobs up to its
// concurrency and runs each on the model's providers, reporting progress; the clip is stored as a
// generated file of the job's owner and the job ends in the transaction that settles its
// reservation. Several instances share the queue (queue.ts). A job whose worker vanished is taken
// again once its claim lapses, at most MAX_ATTEMPTS times in all, then failed; whichever way, its
// reservation is settled exactly once. Shutdown puts running jobs back in the queue.
import type { VideoJob } from '@maas/db';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, describeError } from '../core/errors.js';
import type { Platform } from '../core/platform.js';
import { deleteFile, storeGenerated } from '../files/service.js';
import type { ProviderTarget } from '../inference/adapter.js';
import { upstreamFailure } from '../inference/engine.js';
import { UpstreamError } from '../inference/errors.js';
import { withFailover } from '../inference/failover.js';
import type { MediaInput, VideoResult } from '../inference/media-types.js';
import { MAX_REFERENCE_IMAGE_BYTES } from './jobs.js';
import { claimNextJob, endJob, failAbandonedJobs, renewClaim, requeueJob } from './queue.js';

declare module '../core/platform.js' {
  interface Platform {
    /** Runs queued video jobs once started (the server starts it; the CLI does not). */
    videoWorker: VideoWorker;
  }
}

/** A job is tried at most this many times (a first run, and one more after its worker vanished). */
export const MAX_ATTEMPTS = 2;
/** A job's progress is written at most this often. */
const PROGRESS_WRITE_MS = 250;

export interface VideoWorkerOptions {
  /** How often the queue is looked at. */
  pollMs: number;
  /** Jobs this instance runs at once; 0: it runs none (other instances do). */
  concurrency: number;
  /** How long a claim lasts without renewal; renewed every third of it while the job runs. */
  leaseMs?: number;
  onError?: (error: unknown, label: string) => void;
}

const EXTENSIONS: Record<string, string> = { 'video/mp4': 'mp4', 'video/x-msvideo': 'avi', 'video/webm': 'webm', 'video/quicktime': 'mov' };

export class VideoWorker {
  /** Written to claimed_by: unique per worker, so a restarted instance never mistakes an old claim for its own. */
  readonly id = `worker_${randomUUID()}`;
  readonly #options: Required<Omit<VideoWorkerOptions, 'onError'>> & Pick<VideoWorkerOptions, 'onError'>;
  readonly #running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  #platform: Platform | null = null;
  #timer: NodeJS.Timeout | null = null;
  #ticking: Promise<void> | null = null;
  #again = false;
  #stopping = false;

  constructor(options: VideoWorkerOptions) {
    this.#options = { leaseMs: 60_000, ...options };
  }

  start(platform: Platform): void {
    if (this.#platform || this.#options.concurrency <= 0) return;
    this.#platform = platform;
    this.#schedule(0);
  }

  /** Looks at the queue now (a job was just queued here) instead of at the next poll. */
  wake(): void {
    if (this.#platform && !this.#stopping) this.#schedule(0);
  }

  /** Stops claiming, aborts the running jobs and puts them back in the queue. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#ticking;
    for (const { controller } of this.#running.values()) controller.abort();
    await Promise.all([...this.#running.values()].map((r) => r.done));
  }

  #schedule(delayMs: number): void {
    if (this.#stopping) return;
    if (this.#ticking) {
      this.#again = true;
      return;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#ticking = this.#tick().finally(() => {
        this.#ticking = null;
        const again = this.#again;
        this.#again = false;
        this.#schedule(again ? 0 : this.#options.pollMs);
      });
    }, delayMs);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    const platform = this.#platform;
    if (!platform) return;
    try {
      await failAbandonedJobs(platform, MAX_ATTEMPTS);
      while (!this.#stopping && this.#running.size < this.#options.concurrency) {
        const job = await claimNextJob(platform, this.id, this.#options.leaseMs, MAX_ATTEMPTS);
        if (!job) break;
        const controller = new AbortController();
        const done = this.#run(platform, job, controller).finally(() => {
          this.#running.delete(job.id);
          // A slot is free: the queue may hold more.
          this.wake();
        });
        this.#running.set(job.id, { controller, done });
      }
    } catch (error) {
      this.#options.onError?.(error, 'video worker: queue');
    }
  }

  async #run(platform: Platform, job: VideoJob, controller: AbortController): Promise<void> {
    const { leaseMs } = this.#options;
    let lost = false;
    let progress: number | undefined;
    const renew = async () => {
      const still = await renewClaim(platform, job, this.id, leaseMs, progress).catch((error: unknown) => {
        this.#options.onError?.(error, 'video worker: renew claim');
        return true;
      });
      if (!still && !controller.signal.aborted) {
        lost = true;
        controller.abort();
      }
    };
    const heartbeat = setInterval(() => void renew(), Math.max(1, Math.floor(leaseMs / 3)));
    heartbeat.unref();
    // Progress is written one write at a time, at most every PROGRESS_WRITE_MS: reports made while
    // a write waits only move the value it will write.
    let writes: Promise<void> = Promise.resolve();
    let writeWaiting = false;
    let lastWrite = 0;
    const onProgress = (percent: number) => {
      if (percent === progress) return;
      progress = percent;
      if (writeWaiting) return;
      writeWaiting = true;
      writes = writes.then(async () => {
        const wait = lastWrite + PROGRESS_WRITE_MS - Date.now();
        if (wait > 0) await sleep(wait);
        writeWaiting = false;
        lastWrite = Date.now();
        return renew();
      });
    };
    try {
      const { result, target } = await this.#generate(platform, job, controller.signal, onProgress);
      await writes;
      const billedMs = Math.min(Math.max(0, Math.round(result.durationMs)), job.seconds * 1000);
      const file = await storeGenerated(platform, job.owner_id, {
        bytes: result.bytes,
        contentType: result.contentType,
        filename: `${job.id}.${EXTENSIONS[result.contentType] ?? 'bin'}`,
        metadata: { video_id: job.id, width: result.width, height: result.height, duration_ms: result.durationMs },
      });
      const ended = await endJob(
        platform,
        job,
        { workerId: this.id },
        { status: 'success', billedMs, providerId: target.providerId, fileId: file.id },
      );
      // Another worker owns the job now; this clip is not the one it will deliver.
      if (!ended) await deleteFile(platform, { userId: job.owner_id, role: 'user', sessionId: null, apiKeyId: null }, file.id);
    } catch (error) {
      await writes;
      if (lost) return;
      if (this.#stopping && controller.signal.aborted) {
        await requeueJob(platform, job, this.id).catch((e: unknown) => this.#options.onError?.(e, 'video worker: requeue'));
        return;
      }
      const { code, message } = jobError(error);
      await endJob(platform, job, { workerId: this.id }, { status: 'failed', error: message, errorCode: code }).catch((e: unknown) =>
        // The claim lapses and the job is taken again or failed later; nothing is charged meanwhile.
        this.#options.onError?.(e, 'video worker: fail job'),
      );
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** The model's providers that can make videos, tried in the model's order until one answers. */
  async #generate(
    platform: Platform,
    job: VideoJob,
    signal: AbortSignal,
    onProgress: (percent: number) => void,
  ): Promise<{ result: VideoResult; target: ProviderTarget }> {
    const found = await platform.models.lookup(job.model_id);
    if (!found || found.model.status !== 'active') {
      throw new AppError('SERVICE_UNAVAILABLE', { message: 'MODEL_NO_ROUTE', params: { model: job.model_name } });
    }
    const targets = found.targets.filter((t) => platform.inference.adapterFor(t.kind)?.generateVideo !== undefined);
    if (targets.length === 0) throw new AppError('SERVICE_UNAVAILABLE', { message: 'MODEL_NO_ROUTE', params: { model: job.model_name } });
    const context = { transport: platform.inference.transport, signal, requestId: job.id, onProgress };
    const inputReference = job.input_file_id ? await referenceImage(platform, job.input_file_id) : null;
    const request = { prompt: job.prompt, seconds: job.seconds, size: job.size, inputReference };
    const { result, target } = await withFailover(
      targets,
      (t) => {
        const adapter = platform.inference.adapterFor(t.kind);
        if (!adapter?.generateVideo)
          throw new AppError('SERVICE_UNAVAILABLE', { message: 'MODEL_NO_ROUTE', params: { model: job.model_name } });
        return adapter.generateVideo(t, { request, upstreamModel: t.upstreamModel }, context);
      },
      {
        signal,
        cooldowns: platform.inference.cooldowns,
        onAttemptFailed: (error: UpstreamError, failed: ProviderTarget) => platform.telemetry.upstreamError(failed.providerId, error.kind),
      },
    );
    if (result.bytes.byteLength === 0 || !(result.durationMs > 0)) {
      throw new AppError('UPSTREAM_ERROR', { message: 'MEDIA_RESULT_MISMATCH', params: { reason: 'an empty video' } });
    }
    return { result, target };
  }
}

/** The reference image's bytes, read whole (capped when the job was made); a 404 when it was deleted since. */
async function referenceImage(platform: Platform, fileId: string): Promise<MediaInput> {
  const file = await platform.db
    .selectFrom('files')
    .select(['filename', 'content_type', 'storage_key'])
    .where('id', '=', fileId)
    .executeTakeFirst();
  if (!file) throw new AppError('NOT_FOUND', { message: 'FILE_NOT_FOUND', details: { field: 'input_reference' } });
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of platform.blobs.open(file.storage_key)) {
    const piece = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    bytes += piece.length;
    if (bytes > MAX_REFERENCE_IMAGE_BYTES)
      throw new AppError('INVALID_REQUEST', {
        message: 'VIDEO_INPUT_REFERENCE_TYPE',
        params: { max_mb: MAX_REFERENCE_IMAGE_BYTES / 1_048_576 },
      });
    chunks.push(piece);
  }
  return { bytes: Buffer.concat(chunks), contentType: file.content_type, filename: file.filename };
}

/**
 * The job's `error`, in English (the job outlives the request's language): what the one error
 * conversion says of it, so no provider detail leaks beyond what a failed call would show; a
 * provider's own code when it refused the request (e.g. `moderation_blocked`).
 */
function jobError(error: unknown): { code: string; message: string } {
  const described = describeError(upstreamFailure(error), 'en');
  const code = error instanceof UpstreamError && error.kind === 'client' && error.code ? error.code : described.code.toLowerCase();
  return { code, message: described.message };
}
