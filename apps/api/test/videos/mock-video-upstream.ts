// A strict stand-in for OpenAI's video API (issue 14), over real HTTP: POST /v1/videos (multipart,
// as OpenAI takes it), GET /v1/videos/{id}, GET /v1/videos/{id}/content. It checks what OpenAI
// checks: the Bearer key, the multipart body and its fields (model, prompt, seconds in 4/8/12, one
// of the four sizes, input_reference as a JPEG, PNG or WebP file, nothing else), that content is
// asked for only once the video is completed.
// The model picks the behaviour: `mock-video-ok` completes on the second poll; `mock-video-short`
// completes with 4 seconds whatever was asked; `mock-video-fail` fails on its first poll.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const MOCK_VIDEO_KEY = 'sk-upstream-secret';
/** A tiny MP4-looking body (an ftyp box, then the job id): what content answers. */
export function mockVideoBytes(id: string): Buffer {
  const ftyp = Buffer.from('0000001c667479706d703432000000006d70343269736f6d', 'hex');
  return Buffer.concat([ftyp, Buffer.from(`mock video ${id}`)]);
}

const MODELS = new Set(['mock-video-ok', 'mock-video-short', 'mock-video-fail']);
const SECONDS = new Set(['4', '8', '12']);
const SIZES = new Set(['720x1280', '1280x720', '1024x1792', '1792x1024']);
const FIELDS = new Set(['model', 'prompt', 'seconds', 'size', 'input_reference']);
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp']);

interface MockJob {
  id: string;
  model: string;
  prompt: string;
  seconds: string;
  size: string;
  polls: number;
  createdAt: number;
}

export interface RecordedVideoRequest {
  method: string;
  path: string;
  fields?: Record<string, string>;
  files?: Record<string, UploadedPart>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export interface UploadedPart {
  filename: string;
  contentType: string;
  bytes: Buffer;
}

/** The fields and files of a multipart/form-data body; null when it is not well-formed. */
function parseMultipart(body: Buffer, contentType: string): { fields: Record<string, string>; files: Record<string, UploadedPart> } | null {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const marker = boundary?.[1] ?? boundary?.[2];
  if (!marker) return null;
  // latin1 maps every byte to one character, so binary parts survive the split.
  const text = body.toString('latin1');
  if (!text.startsWith(`--${marker}\r\n`) || !text.endsWith(`--${marker}--\r\n`)) return null;
  const fields: Record<string, string> = {};
  const files: Record<string, UploadedPart> = {};
  for (const part of text.slice(0, -`--${marker}--\r\n`.length).split(`--${marker}\r\n`).slice(1)) {
    const split = part.indexOf('\r\n\r\n');
    if (split < 0 || !part.endsWith('\r\n')) return null;
    const head = part.slice(0, split);
    const name = /content-disposition:\s*form-data;\s*name="([^"]+)"/i.exec(head)?.[1];
    if (!name || name in fields || name in files) return null;
    const value = Buffer.from(part.slice(split + 4, -2), 'latin1');
    const filename = /filename="([^"]*)"/i.exec(head)?.[1];
    if (filename === undefined) fields[name] = value.toString('utf8');
    else files[name] = { filename, contentType: /content-type:\s*([^\r\n]+)/i.exec(head)?.[1]?.trim() ?? '', bytes: value };
  }
  return { fields, files };
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function error(res: ServerResponse, status: number, message: string, param: string | null = null) {
  send(res, status, { error: { message, type: 'invalid_request_error', param, code: null } });
}

function videoObject(job: MockJob) {
  const status = job.polls === 0 ? 'queued' : job.model === 'mock-video-fail' ? 'failed' : job.polls === 1 ? 'in_progress' : 'completed';
  return {
    id: job.id,
    object: 'video',
    model: job.model,
    status,
    progress: status === 'completed' ? 100 : status === 'in_progress' ? 50 : 0,
    created_at: job.createdAt,
    completed_at: status === 'completed' ? job.createdAt + 1 : null,
    expires_at: null,
    prompt: job.prompt,
    seconds: job.model === 'mock-video-short' ? '4' : job.seconds,
    size: job.size,
    remixed_from_video_id: null,
    error: status === 'failed' ? { code: 'moderation_blocked', message: 'Your request was blocked by our moderation system.' } : null,
  };
}

export async function startMockVideoUpstream() {
  const jobs = new Map<string, MockJob>();
  const requests: RecordedVideoRequest[] = [];
  let counter = 0;
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://mock');
      const body = await readBody(req);
      const recorded: RecordedVideoRequest = { method: req.method ?? '', path: url.pathname };
      requests.push(recorded);
      if (req.headers.authorization !== `Bearer ${MOCK_VIDEO_KEY}`) return error(res, 401, 'Incorrect API key provided');
      if (req.method === 'POST' && url.pathname === '/v1/videos') {
        const form = parseMultipart(body, req.headers['content-type'] ?? '');
        if (!req.headers['content-type']?.startsWith('multipart/form-data') || !form) return error(res, 400, 'Expected a multipart body');
        const { fields, files } = form;
        recorded.fields = fields;
        recorded.files = files;
        const unknown = [...Object.keys(fields), ...Object.keys(files)].find(
          (f) => !FIELDS.has(f) || (f === 'input_reference') !== f in files,
        );
        if (files.input_reference && !IMAGE_TYPES.has(files.input_reference.contentType)) {
          return error(res, 400, `Invalid file format for input_reference: ${files.input_reference.contentType}`, 'input_reference');
        }
        if (unknown) return error(res, 400, `Unrecognized request argument supplied: ${unknown}`, unknown);
        if (!fields.model || !MODELS.has(fields.model)) return error(res, 400, `Invalid model: ${fields.model}`, 'model');
        if (!fields.prompt) return error(res, 400, 'Missing required parameter: prompt', 'prompt');
        const seconds = fields.seconds ?? '4';
        if (!SECONDS.has(seconds))
          return error(res, 400, `Invalid value: '${seconds}'. Supported values are: '4', '8', and '12'.`, 'seconds');
        const size = fields.size ?? '720x1280';
        if (!SIZES.has(size)) return error(res, 400, `Invalid value: '${size}'.`, 'size');
        counter += 1;
        const job: MockJob = {
          id: `video_mock${counter}`,
          model: fields.model,
          prompt: fields.prompt,
          seconds,
          size,
          polls: 0,
          createdAt: Math.floor(Date.now() / 1000),
        };
        jobs.set(job.id, job);
        return send(res, 200, videoObject(job));
      }
      const match = /^\/v1\/videos\/([^/]+)(\/content)?$/.exec(url.pathname);
      const job = match ? jobs.get(decodeURIComponent(match[1]!)) : undefined;
      if (req.method !== 'GET' || !match || body.length > 0) return error(res, 404, `Unknown request URL: ${req.method} ${url.pathname}`);
      if (!job) return error(res, 404, 'Video not found');
      if (match[2]) {
        const variant = url.searchParams.get('variant') ?? 'video';
        if (variant !== 'video') return error(res, 400, 'Invalid variant', 'variant');
        if (videoObject(job).status !== 'completed') return error(res, 404, 'Video is not ready yet');
        res.writeHead(200, { 'content-type': 'video/mp4' });
        return res.end(mockVideoBytes(job.id));
      }
      job.polls += 1;
      return send(res, 200, videoObject(job));
    })().catch((e: unknown) => error(res, 500, String(e)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    /** Upstream jobs created per prompt: a job run twice would create its video twice. */
    createsOf: (prompt: string) => requests.filter((r) => r.method === 'POST' && r.fields?.prompt === prompt).length,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
