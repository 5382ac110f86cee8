import { type Actor, AppError, createVideoJob, listVideoJobs, type Platform, type VideoJobView } from '@maas/api';

// /v1/videos ⇄ the video jobs (issue 14), in OpenAI's shapes: the create request (JSON, or the
// multipart form the official client sends, already read into text fields by the route), the
// `video` object, its list and the deletion answer. A `file_id` is added to the video object: the
// clip is also the caller's generated file at /api/v1/files/{file_id}/content. A reference image
// (input_reference) is a JPEG, PNG or WebP the caller uploads in the form, or `{file_id}` of one
// uploaded before (POST /api/v1/files); an image URL is not fetched.

const DEFAULT_SECONDS = 4;
const DEFAULT_SIZE = '720x1280';
const MAX_PROMPT_CHARACTERS = 32_000;
const SIZE = /^(\d{2,4})x(\d{2,4})$/;
const FILE_ID = /^file_[a-z0-9]{1,60}$/;
const CREATE_FIELDS = new Set(['model', 'prompt', 'seconds', 'size', 'input_reference']);

export interface VideoCreateFields {
  [field: string]: unknown;
}

function invalid(field: string): AppError {
  return new AppError('INVALID_REQUEST', { message: 'VIDEO_FIELD_INVALID', params: { field }, details: { field } });
}

function parseSeconds(value: unknown): number {
  if (value === undefined) return DEFAULT_SECONDS;
  // OpenAI types it as a string ("4", "8", "12"); a JSON number is taken too.
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d{1,4}$/.test(value.trim())) return Number(value.trim());
  throw invalid('seconds');
}

function parseSize(value: unknown): string {
  if (value === undefined) return DEFAULT_SIZE;
  const match = typeof value === 'string' ? SIZE.exec(value.trim()) : null;
  const sides = match ? [Number(match[1]), Number(match[2])] : [];
  if (sides.length !== 2 || sides.some((side) => side < 16 || side > 4096)) {
    throw new AppError('INVALID_REQUEST', { message: 'VIDEO_SIZE_INVALID', details: { field: 'size' } });
  }
  return `${sides[0]}x${sides[1]}`;
}

/** The create request's fields checked as OpenAI checks them: unknown fields are refused. */
export function parseVideoCreate(fields: VideoCreateFields): {
  model: string;
  prompt: string;
  seconds: number;
  size: string;
  inputFileId: string | null;
} {
  const unknown = Object.keys(fields).find((field) => !CREATE_FIELDS.has(field));
  if (unknown !== undefined) {
    throw new AppError('INVALID_REQUEST', { message: 'VIDEO_FIELD_UNKNOWN', params: { field: unknown }, details: { field: unknown } });
  }
  const inputFileId = parseInputReference(fields.input_reference);
  const { model, prompt } = fields;
  if (model === undefined || model === '') {
    throw new AppError('INVALID_REQUEST', { message: 'VIDEO_MODEL_REQUIRED', details: { field: 'model' } });
  }
  if (typeof model !== 'string' || model.length > 256) throw invalid('model');
  if (prompt === undefined || (typeof prompt === 'string' && prompt.trim() === '')) {
    throw new AppError('INVALID_REQUEST', { message: 'VIDEO_PROMPT_REQUIRED', details: { field: 'prompt' } });
  }
  if (typeof prompt !== 'string' || prompt.length > MAX_PROMPT_CHARACTERS) throw invalid('prompt');
  return { model, prompt, seconds: parseSeconds(fields.seconds), size: parseSize(fields.size), inputFileId };
}

/** `input_reference`: `{file_id}` of the caller's image (a multipart file was stored as one by the route); null when absent. */
function parseInputReference(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const entries: [string, unknown][] = typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : [];
  const fileId = entries.length === 1 && entries[0]?.[0] === 'file_id' ? entries[0][1] : undefined;
  if (typeof fileId !== 'string' || !FILE_ID.test(fileId)) {
    throw new AppError('INVALID_REQUEST', { message: 'VIDEO_INPUT_REFERENCE_INVALID', details: { field: 'input_reference' } });
  }
  return fileId;
}

const unix = (date: Date | null) => (date ? Math.floor(date.getTime() / 1000) : null);

/** OpenAI's `video` object. */
export function toOpenAiVideo(job: VideoJobView) {
  return {
    id: job.id,
    object: 'video' as const,
    model: job.model_name,
    status: job.status,
    progress: job.status === 'completed' ? 100 : job.progress,
    created_at: unix(job.created_at),
    completed_at: job.status === 'completed' ? unix(job.completed_at) : null,
    expires_at: unix(job.file_expires_at),
    prompt: job.prompt,
    seconds: String(job.seconds),
    size: job.size,
    remixed_from_video_id: null,
    error: job.status === 'failed' ? { code: job.error_code ?? 'video_generation_failed', message: job.error_message ?? '' } : null,
    file_id: job.file_id,
  };
}

/** `POST /v1/videos`: reserves the requested seconds and queues the job; the answer is the queued video. */
export async function createVideo(
  platform: Platform,
  call: { actor: Actor; fields: VideoCreateFields; signal: AbortSignal; requestId: string },
) {
  const parsed = parseVideoCreate(call.fields);
  const job = await createVideoJob(platform, { actor: call.actor, ...parsed, signal: call.signal, requestId: call.requestId });
  return toOpenAiVideo(job);
}

/** `GET /v1/videos`: a cursor page (`after`, `limit` 1–100, `order`), OpenAI's list shape. */
export async function listVideos(platform: Platform, actor: Actor, query: Record<string, unknown>) {
  const limitText = query.limit ?? '20';
  const limit = typeof limitText === 'string' && /^\d{1,3}$/.test(limitText) ? Number(limitText) : NaN;
  if (!(limit >= 1 && limit <= 100)) throw invalid('limit');
  const order = query.order ?? 'desc';
  if (order !== 'asc' && order !== 'desc') throw invalid('order');
  const after = query.after;
  if (after !== undefined && typeof after !== 'string') throw invalid('after');
  const page = await listVideoJobs(platform, actor, { limit, order, ...(after ? { after } : {}) });
  const data = page.data.map(toOpenAiVideo);
  return { object: 'list' as const, data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: page.hasMore };
}
