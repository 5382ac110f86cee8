import { AppError } from '../core/errors.js';
import { authedProcedure, router } from '../trpc.js';
import { FileRef, StoredFile, UploadFileForm } from './schemas.js';
import { getFile } from './service.js';

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

  get: authedProcedure
    .meta({
      openapi: { method: 'GET', path: '/files/{file_id}', tags, protect: true, summary: 'Metadata of an uploaded file (owner or admin)' },
    })
    .input(FileRef)
    .output(StoredFile)
    .query(({ ctx, input }) => getFile(ctx.platform.db, ctx.actor, input.file_id)),
});
