import { z } from 'zod';
import { IdOf } from '../core/ids.js';
import { Timestamp } from '../core/time.js';

export const FileId = IdOf('file');

export const FileRef = z.object({ file_id: FileId });

export const StoredFile = z
  .object({
    id: z.string(),
    filename: z.string(),
    bytes: z.number().int(),
    sha256: z.string().meta({ description: 'Hex SHA-256 of the content' }),
    content_type: z.string(),
    owner: z.string().meta({ description: 'Id of the user who uploaded the file' }),
    created_at: Timestamp,
  })
  .meta({ id: 'StoredFile' });

/**
 * The multipart body of `POST /files`, for the OpenAPI document only: the upload itself is a
 * streaming Fastify route (apps/api/src/routes/files.ts), since a tRPC input cannot be a stream.
 */
export const UploadFileForm = z.object({
  file: z.string().meta({ description: 'The file (one part named `file`)', format: 'binary' }),
});
