// OpenAI's video API (issue 14): POST {base}/videos creates an upstream job (multipart, as the
// official client sends it), GET {base}/videos/{id} is polled until it completes or fails, and
// GET {base}/videos/{id}/content downloads the MP4. A reference image goes as the form's
// `input_reference` file. Only the create may fail over to another
// provider: once an upstream job exists, trying elsewhere would pay for the video twice.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AdapterContext, HttpTransport, ProviderTarget } from '../../adapter.js';
import { UpstreamError } from '../../errors.js';
import type { AdapterMediaCall, MediaInput, ProgressReporter, VideoGenerationRequest, VideoResult } from '../../media-types.js';
import { protocolError, transportError } from '../../transport/index.js';

/** Polls come quickly at first (short clips, test upstreams), then every 10 s as OpenAI suggests. */
const POLL_DELAYS_MS = [250, 500, 1_000, 2_000, 5_000, 10_000];
/** An upstream job still unfinished after this long is given up (failed, nothing charged). */
const MAX_WAIT_MS = 60 * 60_000;

interface UpstreamVideo {
  id: string;
  status: string;
  progress: number;
  seconds: string | null;
  size: string | null;
  error: { code?: string; message?: string } | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function videosUrl(target: ProviderTarget): { base: string; search: string } {
  let url: URL;
  try {
    url = new URL(target.baseUrl);
  } catch (cause) {
    throw new UpstreamError(`invalid base URL for provider ${target.name}`, {
      kind: 'connect',
      providerId: target.providerId,
      retryable: true,
      cause,
    });
  }
  const basePath = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  return { base: `${url.origin}${basePath}/videos`, search: url.search };
}

function authHeaders(target: ProviderTarget): Record<string, string> {
  return target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {};
}

/** A filename as a quoted multipart parameter: no quotes, backslashes or line breaks can break out of it. */
function quoted(filename: string): string {
  return filename.replace(/["\\\r\n]/g, '_');
}

/** A multipart/form-data body of text fields and, if given, the reference image as `input_reference`. */
function formBody(fields: Record<string, string>, file: MediaInput | null): { body: Buffer; contentType: string } {
  const boundary = `maas-${randomUUID()}`;
  const parts: Buffer[] = Object.entries(fields).map(([name, value]) =>
    Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`, 'utf8'),
  );
  if (file) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="input_reference"; filename="${quoted(file.filename)}"\r\n` +
          `content-type: ${file.contentType}\r\n\r\n`,
        'utf8',
      ),
      Buffer.from(file.bytes),
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

function readVideo(target: ProviderTarget, body: Buffer, retryable: boolean): UpstreamVideo {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw protocolError(target, 'video body is not valid JSON', retryable);
  }
  if (!isRecord(json) || typeof json.id !== 'string' || json.id === '' || typeof json.status !== 'string') {
    throw protocolError(target, 'response is not a video object', retryable);
  }
  const error = isRecord(json.error)
    ? {
        code: typeof json.error.code === 'string' ? json.error.code : undefined,
        message: typeof json.error.message === 'string' ? json.error.message : undefined,
      }
    : null;
  return {
    id: json.id,
    status: json.status,
    progress: typeof json.progress === 'number' && Number.isFinite(json.progress) ? json.progress : 0,
    seconds: typeof json.seconds === 'string' || typeof json.seconds === 'number' ? String(json.seconds) : null,
    size: typeof json.size === 'string' ? json.size : null,
    error,
  };
}

async function poll(
  transport: HttpTransport,
  target: ProviderTarget,
  url: string,
  created: UpstreamVideo,
  onProgress: ProgressReporter,
  signal: AbortSignal,
): Promise<UpstreamVideo> {
  const deadline = Date.now() + MAX_WAIT_MS;
  let video = created;
  for (let attempt = 0; video.status === 'queued' || video.status === 'in_progress'; attempt++) {
    if (Date.now() > deadline) {
      throw new UpstreamError(`${target.name} did not finish video ${video.id} within ${MAX_WAIT_MS / 60_000} minutes`, {
        kind: 'timeout',
        providerId: target.providerId,
        retryable: false,
      });
    }
    await sleep(POLL_DELAYS_MS[Math.min(attempt, POLL_DELAYS_MS.length - 1)], undefined, { signal });
    const res = await transport.request(target, {
      url,
      method: 'GET',
      headers: { accept: 'application/json', ...authHeaders(target) },
      signal,
    });
    video = readVideo(target, res.body, false);
    await onProgress(Math.max(0, Math.min(100, Math.floor(video.progress))));
  }
  return video;
}

export async function generateOpenAiVideo(
  target: ProviderTarget,
  call: AdapterMediaCall<VideoGenerationRequest>,
  context: AdapterContext & { onProgress: ProgressReporter },
): Promise<VideoResult> {
  const { base, search } = videosUrl(target);
  const form = formBody(
    {
      model: call.upstreamModel,
      prompt: call.request.prompt,
      seconds: String(call.request.seconds),
      size: call.request.size,
    },
    call.request.inputReference ?? null,
  );
  const createRes = await context.transport.request(target, {
    url: `${base}${search}`,
    headers: { 'content-type': form.contentType, accept: 'application/json', ...authHeaders(target) },
    body: form.body,
    signal: context.signal,
  });
  const created = readVideo(target, createRes.body, true);
  const jobUrl = `${base}/${encodeURIComponent(created.id)}`;
  try {
    const video = await poll(context.transport, target, `${jobUrl}${search}`, created, context.onProgress, context.signal);
    if (video.status !== 'completed') {
      // The provider's own verdict on this request (a moderation block, an unusable prompt): the
      // caller is told why, as for any request an upstream refuses, and the provider is not
      // counted as failing.
      const reason = video.error?.message ?? `the video ended with status ${video.status}`;
      throw new UpstreamError(reason.slice(0, 300), {
        kind: 'client',
        providerId: target.providerId,
        retryable: false,
        code: video.error?.code,
      });
    }
    const content = await context.transport.request(target, {
      url: `${jobUrl}/content${search}`,
      method: 'GET',
      headers: { accept: 'application/binary', ...authHeaders(target) },
      signal: context.signal,
    });
    const seconds = Number(video.seconds ?? call.request.seconds);
    if (!Number.isFinite(seconds) || seconds <= 0) throw protocolError(target, `video ${video.id} has no duration`, false);
    const [width = 0, height = 0] = (video.size ?? call.request.size).split('x').map(Number);
    const type = content.headers['content-type'];
    return {
      bytes: new Uint8Array(content.body.buffer, content.body.byteOffset, content.body.byteLength),
      contentType: (Array.isArray(type) ? type[0] : type)?.split(';')[0]?.trim() || 'video/mp4',
      durationMs: Math.round(seconds * 1000),
      width,
      height,
    };
  } catch (error) {
    // The upstream job exists: whatever failed now, another provider must not be asked.
    throw transportError(error, target, context.signal, false);
  }
}
