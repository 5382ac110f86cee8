import multipart from '@fastify/multipart';
import { AppError, authenticateRequest, type BlobStore, openFileContent, type Platform, storeModelUpload, storeUpload } from '@maas/api';
import type { FastifyInstance } from 'fastify';
import { sendRestError } from '../surfaces/errors/index.js';

/**
 * `POST /api/v1/files`: a multipart upload streamed into the blob store (DATA_DIR/blobs), hashed on
 * the way, never held in memory. Multipart parsing is registered inside this plugin only, so every
 * other route still refuses multipart bodies. The OpenAPI document describes it through the
 * router's `files.upload` procedure; this static route takes precedence over the router's wildcard.
 */
export async function registerFileRoutes(app: FastifyInstance, platform: Platform, store: BlobStore = platform.blobs): Promise<void> {
  // Model files (purpose=model) have their own, larger limit; each purpose's limit is enforced as
  // the file streams in (storeUpload, storeModelUpload), the parser's only bounds the larger one.
  const maxBytes = Math.max(platform.config.uploadMaxBytes, platform.config.modelUploadMaxBytes);
  await app.register(async (scope) => {
    await scope.register(multipart, {
      // One file per request; a few small text fields at most. Over `fileSize` busboy cuts the
      // stream and marks it truncated, which storeUpload turns into a 413.
      limits: { fileSize: maxBytes, files: 1, fields: 10, fieldSize: 1024, parts: 12 },
    });
    // The answer can go out before the body has been read to its end: one file is kept and the
    // parts after it are not read, and an error stops reading. Those unread bytes would stay on a
    // kept-alive connection, and the client's next request on it would never be answered (found
    // by the fuzz suite), so such a connection is closed after the answer.
    scope.addHook('onSend', async (request, reply, payload) => {
      if (!request.raw.complete) void reply.header('connection', 'close');
      return payload;
    });

    scope.post('/api/v1/files', async (request, reply) => {
      try {
        // Identify the caller before reading the body: nothing is written for an anonymous request.
        const actor = await authenticateRequest({ platform, authorization: request.headers.authorization });
        if (!request.isMultipart() || boundaryTooLong(request.headers['content-type'])) {
          throw new AppError('INVALID_REQUEST', { message: 'UPLOAD_NOT_MULTIPART' });
        }
        const part = await request.file();
        if (!part) throw new AppError('INVALID_REQUEST', { message: 'UPLOAD_FILE_MISSING' });
        const upload = { filename: part.filename, contentType: part.mimetype, stream: part.file };
        const stored =
          uploadPurpose(part.fields, request.query) === 'model'
            ? await storeModelUpload(platform, store, actor, upload)
            : await storeUpload(platform, store, actor, upload);
        return reply.code(201).send(stored);
      } catch (error) {
        return sendRestError(reply, uploadError(error));
      }
    });
  });

  // The bytes of a file, streamed from the blob store to its owner (generated media's `url`). Static,
  // so it takes precedence over the router's wildcard, which documents it (files.content).
  app.get<{ Params: { file_id: string } }>('/api/v1/files/:file_id/content', async (request, reply) => {
    try {
      const actor = await authenticateRequest({ platform, authorization: request.headers.authorization });
      const { file, stream } = await openFileContent(platform, actor, request.params.file_id);
      const etag = `"${file.sha256}"`;
      if (request.headers['if-none-match'] === etag) {
        stream.destroy();
        return reply.code(304).send();
      }
      return reply
        .header('content-type', file.content_type)
        .header('content-length', String(file.bytes))
        .header('etag', etag)
        .header('cache-control', 'private, max-age=3600')
        .header('content-disposition', `inline; filename*=UTF-8''${encodeURIComponent(file.filename)}`)
        .send(stream);
    } catch (error) {
      return sendRestError(reply, error);
    }
  });
}

/**
 * `purpose` as a form field sent before the file (as OpenAI's file API takes it) or in the query
 * string; `upload` when absent. `generated` is the platform's own and cannot be uploaded.
 */
function uploadPurpose(fields: Record<string, unknown>, query: unknown): 'upload' | 'model' {
  const field = fields.purpose as { type?: string; value?: unknown } | undefined;
  const fromField = field?.type === 'field' && typeof field.value === 'string' ? field.value : undefined;
  const fromQuery = typeof query === 'object' && query !== null ? (query as Record<string, unknown>).purpose : undefined;
  const purpose = fromField ?? (typeof fromQuery === 'string' ? fromQuery : undefined) ?? 'upload';
  if (purpose === 'upload' || purpose === 'model') return purpose;
  throw new AppError('INVALID_REQUEST', { message: 'UPLOAD_PURPOSE_INVALID', details: { field: 'purpose' } });
}

const BOUNDARY_PARAMETER = /;\s*boundary\s*=\s*(?:"([^"]*)"|([^;\s]*))/i;

/**
 * RFC 2046 caps a multipart boundary at 70 characters. busboy refuses a longer one with a bare
 * Error ("The needle cannot have a length bigger than 256"), which would be a 500; the fuzz suite
 * found it.
 */
function boundaryTooLong(contentType: string | undefined): boolean {
  const match = contentType?.match(BOUNDARY_PARAMETER);
  const boundary = match?.[1] ?? match?.[2];
  return boundary !== undefined && boundary.length > 70;
}

/**
 * Errors @fastify/multipart raises for a bad request carry an `FST_` code and a 4xx status: limits,
 * a non-multipart body, a field named after an Object.prototype property (`toString`, found by the
 * fuzz suite). All are the client's fault; a file over the size limit is the one 413.
 */
function uploadError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  const { code, statusCode } = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; statusCode?: unknown };
  if (code === 'FST_REQ_FILE_TOO_LARGE') return new AppError('PAYLOAD_TOO_LARGE', { message: 'PAYLOAD_TOO_LARGE' });
  if (typeof code === 'string' && code.startsWith('FST_') && typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return new AppError('INVALID_REQUEST', { message: 'UPLOAD_NOT_MULTIPART' });
  }
  if (error instanceof Error && /multipart|boundary|Unexpected end/i.test(error.message)) {
    return new AppError('INVALID_REQUEST', { message: 'UPLOAD_NOT_MULTIPART' });
  }
  return error;
}
