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
        description:
          'multipart/form-data with one part named `file`. The bytes stream to the blob store and are hashed on the way; nothing is kept when the upload is refused or cut short.',
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
        description: 'Paginated. Generated media carry an `expires_at` from the retention setting (MAAS_GENERATED_FILE_RETENTION_HOURS).',
      },
    })
    .input(ListFilesInput)
    .output(FileList)
    .query(({ ctx, input }) => listFiles(ctx.platform.db, ctx.actor, input)),

  get: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/files/{file_id}',
        tags,
        protect: true,
        summary: 'Metadata of a file (owner or admin)',
        description:
          'Name, size, sha256, content type, purpose, what is known of the content, and when a generated file expires. Another user gets 404, as for a file that does not exist.',
      },
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
      openapi: {
        method: 'DELETE',
        path: '/files/{file_id}',
        tags,
        protect: true,
        summary: 'Delete a file and its bytes (owner or admin)',
        description: 'Deletes the row and the bytes. Another user gets 404.',
      },
    })
    .input(FileRef)
    .output(z.object({ id: z.string(), deleted: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      await deleteFile(ctx.platform, ctx.actor, input.file_id);
      return { id: input.file_id, deleted: true as const };
    }),
});
