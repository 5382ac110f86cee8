import multipart from '@fastify/multipart';
import { AppError, type MediaInput, type Platform } from '@maas/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';

// The multipart bodies of OpenAI's media endpoints (`/v1/images/edits`, `/v1/audio/transcriptions`):
// a few text fields and one or more files, each held in memory within its own limit (media inputs
// are megabytes; a model file goes through the streaming upload instead). Multipart parsing is
// registered only in the scope given to registerMediaMultipart, so every other /v1 route still
// refuses a multipart body with a 415.

/** The most any media form may carry; the files' own limits are lower. */
export const MEDIA_FORM_MAX_BYTES = 64 * 1_048_576;

export interface MediaFileSpec {
  maxBytes: number;
  /** Accepted content types (the part's type, or one sniffed from its first bytes when it says octet-stream). */
  contentTypes: readonly string[];
  required: boolean;
  /** How many parts of this name are accepted (OpenAI's `image[]` for several images); default 1. */
  max?: number;
}

export interface MediaForm {
  fields: Record<string, string>;
  files: Record<string, MediaInput[]>;
}

/** Registers multipart parsing in `scope` (a /v1 sub-scope), with limits that cut any form at MEDIA_FORM_MAX_BYTES. */
export async function registerMediaMultipart(scope: FastifyInstance): Promise<void> {
  await scope.register(multipart, {
    limits: { fileSize: MEDIA_FORM_MAX_BYTES, files: 16, fields: 32, fieldSize: 64 * 1024, parts: 48 },
  });
  // Unread bytes of a refused form would stay on a kept-alive connection (see routes/files.ts).
  scope.addHook('onSend', async (request, reply, payload) => {
    if (!request.raw.complete) void reply.header('connection', 'close');
    return payload;
  });
}

/**
 * Reads a media form: fields as strings, files by name (a trailing `[]` is dropped: `image[]` is
 * `image`). A declared Content-Length over `maxBytes` is refused before a byte is read; a file over
 * its limit, of the wrong type, missing, or unexpected is a 400/413 naming it.
 */
export async function readMediaForm(
  platform: Platform,
  request: FastifyRequest,
  spec: { files: Record<string, MediaFileSpec> },
): Promise<MediaForm> {
  const largest = Object.values(spec.files).reduce((sum, f) => sum + f.maxBytes * (f.max ?? 1), 0) + 1_048_576;
  const limit = Math.min(largest, MEDIA_FORM_MAX_BYTES, Math.max(platform.config.uploadMaxBytes, 1_048_576));
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > limit) {
    throw new AppError('PAYLOAD_TOO_LARGE', { message: 'UPLOAD_TOO_LARGE', params: { max_bytes: limit }, details: { max_bytes: limit } });
  }
  if (!request.isMultipart()) throw new AppError('INVALID_REQUEST', { message: 'MEDIA_FORM_NOT_MULTIPART' });
  const form: MediaForm = { fields: {}, files: {} };
  try {
    for await (const part of request.parts()) {
      const name = part.fieldname.replace(/\[\]$/, '');
      if (part.type === 'field') {
        if (typeof part.value === 'string') form.fields[name] = part.value;
        continue;
      }
      const fileSpec = Object.hasOwn(spec.files, name) ? spec.files[name] : undefined;
      if (!fileSpec)
        throw new AppError('INVALID_REQUEST', { message: 'MEDIA_FORM_UNKNOWN_FILE', params: { field: name }, details: { field: name } });
      const list = (form.files[name] ??= []);
      if (list.length >= (fileSpec.max ?? 1)) {
        throw new AppError('INVALID_REQUEST', {
          message: 'MEDIA_FORM_TOO_MANY_FILES',
          params: { field: name, max: fileSpec.max ?? 1 },
          details: { field: name },
        });
      }
      const bytes = await readLimited(part.file, fileSpec.maxBytes, name);
      const contentType = contentTypeOf(part.mimetype, bytes);
      if (!fileSpec.contentTypes.includes(contentType)) {
        throw new AppError('INVALID_REQUEST', {
          message: 'MEDIA_FORM_WRONG_TYPE',
          params: { field: name, type: contentType, accepted: fileSpec.contentTypes.join(', ') },
          details: { field: name, content_type: contentType, accepted: fileSpec.contentTypes },
        });
      }
      list.push({ bytes, contentType, filename: part.filename || name });
    }
  } catch (error) {
    throw formError(error);
  }
  for (const [name, fileSpec] of Object.entries(spec.files)) {
    if (fileSpec.required && !form.files[name]?.length) {
      throw new AppError('INVALID_REQUEST', { message: 'MEDIA_FORM_FILE_MISSING', params: { field: name }, details: { field: name } });
    }
  }
  return form;
}

async function readLimited(stream: AsyncIterable<Buffer>, maxBytes: number, field: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.length;
    if (total > maxBytes) {
      throw new AppError('PAYLOAD_TOO_LARGE', {
        message: 'MEDIA_FILE_TOO_LARGE',
        params: { field, max_bytes: maxBytes },
        details: { field, max_bytes: maxBytes },
      });
    }
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}

/** Magic numbers of the media the endpoints take: clients often send them as application/octet-stream. */
const SIGNATURES: [string, (b: Uint8Array) => boolean][] = [
  ['image/png', (b) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47],
  ['image/jpeg', (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff],
  ['image/webp', (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP'],
  ['audio/wav', (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WAVE'],
  ['audio/mpeg', (b) => ascii(b, 0, 3) === 'ID3' || (b[0] === 0xff && ((b[1] ?? 0) & 0xe0) === 0xe0)],
  ['audio/ogg', (b) => ascii(b, 0, 4) === 'OggS'],
  ['audio/flac', (b) => ascii(b, 0, 4) === 'fLaC'],
  ['audio/webm', (b) => b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3],
  ['audio/mp4', (b) => ascii(b, 4, 8) === 'ftyp'],
];

function ascii(bytes: Uint8Array, from: number, to: number): string {
  return Buffer.from(bytes.subarray(from, to)).toString('latin1');
}

const ALIASES: Record<string, string> = {
  'audio/x-wav': 'audio/wav',
  'audio/wave': 'audio/wav',
  'audio/mp3': 'audio/mpeg',
  'image/jpg': 'image/jpeg',
};

/** The declared type, unless it is generic (or absent): then what the bytes are, by their signature. */
function contentTypeOf(declared: string | undefined, bytes: Uint8Array): string {
  const type = (declared ?? '').split(';')[0]!.trim().toLowerCase();
  if (type && type !== 'application/octet-stream') return ALIASES[type] ?? type;
  return SIGNATURES.find(([, matches]) => matches(bytes))?.[0] ?? 'application/octet-stream';
}

/** @fastify/multipart's own 4xx errors (limits, a broken body) are the client's, never a 500. */
function formError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  const { code, statusCode } = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; statusCode?: unknown };
  if (code === 'FST_REQ_FILE_TOO_LARGE') return new AppError('PAYLOAD_TOO_LARGE', { message: 'PAYLOAD_TOO_LARGE' });
  if (typeof code === 'string' && code.startsWith('FST_') && typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return new AppError('INVALID_REQUEST', { message: 'MEDIA_FORM_NOT_MULTIPART' });
  }
  if (error instanceof Error && /multipart|boundary|Unexpected end/i.test(error.message)) {
    return new AppError('INVALID_REQUEST', { message: 'MEDIA_FORM_NOT_MULTIPART' });
  }
  return error;
}
