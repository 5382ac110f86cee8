import { z } from 'zod';
import { IdOf, PathIdOf } from '../core/ids.js';
import { PageInput, pageOf } from '../core/pagination.js';
import { Timestamp } from '../core/time.js';

export const FileId = IdOf('file');

export const FileRef = z.object({ file_id: PathIdOf('file') });

export const FilePurpose = z
  .enum(['upload', 'model', 'generated'])
  .meta({ id: 'FilePurpose', description: 'upload: a user upload; model: a model file; generated: media the platform made for you' });

export const StoredFile = z
  .object({
    id: z.string(),
    filename: z.string(),
    bytes: z.number().int(),
    sha256: z.string().meta({ description: 'Hex SHA-256 of the content' }),
    content_type: z.string(),
    owner: z.string().meta({ description: 'Id of the user who uploaded the file' }),
    purpose: FilePurpose,
    metadata: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ description: 'What was read from the file (a model file header) or is known of it (an image size, a duration)' }),
    expires_at: Timestamp.nullable().meta({ description: 'When a generated file is deleted (the retention setting); null: kept' }),
    created_at: Timestamp,
  })
  .meta({ id: 'StoredFile' });

export const ListFilesInput = PageInput.extend({ purpose: FilePurpose.optional() });

export const FileList = pageOf(StoredFile);

/**
 * The multipart body of `POST /files`, for the OpenAPI document only: the upload itself is a
 * streaming Fastify route (apps/api/src/routes/files.ts), since a tRPC input cannot be a stream.
 */
export const UploadFileForm = z.object({
  purpose: z.enum(['upload', 'model']).optional().meta({
    description:
      'model: a GGUF model file, checked as it streams (its header is shown as `metadata`; the same file is stored once) under MAAS_MODEL_UPLOAD_MAX_BYTES; upload (default): any file. Send it before the file part (or as ?purpose=)',
  }),
  file: z.string().meta({ description: 'The file (one part named `file`)', format: 'binary' }),
});
