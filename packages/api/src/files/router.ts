import { z } from 'zod';
import { AppError } from '../core/errors.js';
import { authedProcedure, router } from '../trpc.js';
import { FileList, FileRef, ListFilesInput, StoredFile, UploadFileForm } from './schemas.js';
import { deleteFile, getFile, listFiles } from './service.js';

const tags = ['files'];

export const filesRouter = router({
  // Documents `POST /api/v1/files` in openapi.json. REST requests never reach it: the streaming
  // Fastify route at that exact path takes precedence over the router's wildcard. Over /trpc a
  // file cannot be streamed, so it answers with where to upload instead.
  upload: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/files',
        tags,
        protect: true,
        contentTypes: ['multipart/form-data'],
        summary: 'Upload a file (multipart/form-data, streamed; size limit MAAS_UPLOAD_MAX_BYTES → 413)',
      },
      created: true,
    })
    .input(UploadFileForm)
    .output(StoredFile)
    .mutation(() => {
      throw new AppError('INVALID_REQUEST', { message: 'UPLOAD_NOT_MULTIPART' });
    }),

  list: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/files',
        tags,
        protect: true,
        summary: 'Your files, newest first: uploads, model files and generated media (filter by purpose)',
      },
    })
    .input(ListFilesInput)
    .output(FileList)
    .query(({ ctx, input }) => listFiles(ctx.platform.db, ctx.actor, input)),

  get: authedProcedure
    .meta({
      openapi: { method: 'GET', path: '/files/{file_id}', tags, protect: true, summary: 'Metadata of a file (owner or admin)' },
    })
    .input(FileRef)
    .output(StoredFile)
    .query(({ ctx, input }) => getFile(ctx.platform.db, ctx.actor, input.file_id)),

  // Documents `GET /api/v1/files/{file_id}/content`: the bytes are streamed by a Fastify route
  // (apps/api/src/routes/files.ts), which takes precedence over the router's wildcard; over /trpc
  // this answers with the file's metadata, since tRPC carries JSON only.
  content: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/files/{file_id}/content',
        tags,
        protect: true,
        summary: "A file's bytes, with its content type (owner or admin); generated media's `url` points here",
        description:
          "Answers the raw bytes with the file's Content-Type, Content-Length and ETag (its sha256), not JSON. Over /trpc, where only JSON travels, it answers the metadata.",
      },
    })
    .input(FileRef)
    .output(StoredFile)
    .query(({ ctx, input }) => getFile(ctx.platform.db, ctx.actor, input.file_id)),

  delete: authedProcedure
    .meta({
      openapi: { method: 'DELETE', path: '/files/{file_id}', tags, protect: true, summary: 'Delete a file and its bytes (owner or admin)' },
    })
    .input(FileRef)
    .output(z.object({ id: z.string(), deleted: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      await deleteFile(ctx.platform, ctx.actor, input.file_id);
      return { id: input.file_id, deleted: true as const };
    }),
});
