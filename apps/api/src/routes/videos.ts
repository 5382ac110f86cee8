import multipart from '@fastify/multipart';
import { type Actor, AppError, deleteVideoJob, discardUpload, getVideoJob, openVideoContent, type Platform, storeUpload } from '@maas/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sendOpenAiError } from '../surfaces/errors/index.js';
import { createVideo, listVideos, toOpenAiVideo, type VideoCreateFields } from '../surfaces/openai-videos.js';
import { callerOf } from './caller.js';

// `/v1/videos`: OpenAI's asynchronous video jobs (issue 14). POST queues a job (the official
// client sends a multipart form; JSON is taken too), GET reads or lists them, GET …/content
// downloads the finished clip, DELETE removes one. Multipart parsing is registered in this
// plugin only, so the rest of /v1 still refuses it.

const MAX_FIELD_BYTES = 128 * 1024;

/**
 * The create request's fields: a JSON object, or a multipart form's fields. The form's
 * `input_reference` image is stored as the caller's file on the way (the worker that runs the job
 * may be another instance) and stands as `{file_id}`; any other file part is named, never read.
 */
async function createFields(platform: Platform, actor: Actor, request: FastifyRequest, uploaded: string[]): Promise<VideoCreateFields> {
  if (!request.isMultipart()) {
    const body = request.body ?? {};
    if (typeof body !== 'object' || Array.isArray(body)) throw new AppError('INVALID_REQUEST', { message: 'INVALID_REQUEST' });
    return Object.fromEntries(Object.entries(body));
  }
  const fields: VideoCreateFields = {};
  const reference: Record<string, unknown> = {};
  for await (const part of request.parts()) {
    if (part.type === 'file' && part.fieldname === 'input_reference') {
      const stored = await storeUpload(platform, platform.blobs, actor, {
        filename: part.filename,
        contentType: part.mimetype,
        stream: part.file,
      });
      uploaded.push(stored.id);
      fields.input_reference = { file_id: stored.id };
    } else if (part.type === 'file') {
      part.file.resume();
      fields[part.fieldname] = { filename: part.filename };
    } else {
      // The openai client writes an object field ({file_id}) as `input_reference[file_id]`.
      const nested = /^input_reference\[([a-z_]{1,32})\]$/.exec(part.fieldname)?.[1];
      if (nested) reference[nested] = part.value;
      else fields[part.fieldname] = part.value;
    }
  }
  if (Object.keys(reference).length > 0)
    fields.input_reference = fields.input_reference === undefined ? reference : [fields.input_reference, reference];
  return fields;
}

/** @fastify/multipart's own client errors (limits, a malformed body) are 400s. */
function multipartError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  const { code, statusCode } = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'string' && code.startsWith('FST_') && typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return new AppError('INVALID_REQUEST', { message: 'INVALID_REQUEST', cause: error });
  }
  return error;
}

export async function registerVideoRoutes(gateway: FastifyInstance, platform: Platform): Promise<void> {
  await gateway.register(async (scope) => {
    await scope.register(multipart, {
      limits: { fileSize: platform.config.uploadMaxBytes, files: 1, fields: 8, fieldSize: MAX_FIELD_BYTES, parts: 9 },
    });
    // A refused multipart body may be left unread; the connection is not reused for another request.
    scope.addHook('onSend', async (request, reply, payload) => {
      if (!request.raw.complete) void reply.header('connection', 'close');
      return payload;
    });

    scope.post('/videos', async (request, reply) => {
      const uploaded: string[] = [];
      let caller: Actor | null = null;
      try {
        const { ctx, actor } = await callerOf(platform, request, reply);
        caller = actor;
        const fields = await createFields(platform, actor, request, uploaded);
        return await createVideo(platform, { actor, fields, signal: ctx.clientSignal(), requestId: request.id });
      } catch (error) {
        // A refused request leaves no uploaded image behind.
        const owner = caller;
        if (owner) await Promise.all(uploaded.map((fileId) => discardUpload(platform, owner, fileId)));
        return sendOpenAiError(reply, multipartError(error));
      }
    });

    scope.get<{ Querystring: Record<string, unknown> }>('/videos', async (request, reply) => {
      try {
        const { actor } = await callerOf(platform, request, reply);
        return await listVideos(platform, actor, request.query);
      } catch (error) {
        return sendOpenAiError(reply, error);
      }
    });

    scope.get<{ Params: { video_id: string } }>('/videos/:video_id', async (request, reply) => {
      try {
        const { actor } = await callerOf(platform, request, reply);
        return toOpenAiVideo(await getVideoJob(platform, actor, request.params.video_id));
      } catch (error) {
        return sendOpenAiError(reply, error);
      }
    });

    scope.get<{ Params: { video_id: string }; Querystring: { variant?: unknown } }>('/videos/:video_id/content', async (request, reply) => {
      try {
        const { actor } = await callerOf(platform, request, reply);
        const variant = request.query.variant ?? 'video';
        if (variant !== 'video') {
          const shown = (typeof variant === 'string' ? variant : JSON.stringify(variant)).slice(0, 40);
          throw new AppError('INVALID_REQUEST', {
            message: 'VIDEO_VARIANT_UNSUPPORTED',
            params: { variant: shown },
            details: { field: 'variant' },
          });
        }
        const { file, stream } = await openVideoContent(platform, actor, request.params.video_id);
        return reply
          .header('content-type', file.content_type)
          .header('content-length', String(file.bytes))
          .header('cache-control', 'private, max-age=3600')
          .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.filename)}`)
          .send(stream);
      } catch (error) {
        return sendOpenAiError(reply, error);
      }
    });

    scope.delete<{ Params: { video_id: string } }>('/videos/:video_id', async (request, reply) => {
      try {
        const { actor } = await callerOf(platform, request, reply);
        await deleteVideoJob(platform, actor, request.params.video_id);
        return { id: request.params.video_id, object: 'video.deleted', deleted: true };
      } catch (error) {
        return sendOpenAiError(reply, error);
      }
    });
  });
}
