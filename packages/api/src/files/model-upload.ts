// Model files (issue 15 part 1): `POST /files` with purpose `model` takes a GGUF file, checks its
// header while it streams to disk, and records what was read as the file's metadata. A bad file is
// a 400 naming the problem, with nothing stored; the same bytes uploaded again by the same owner
// are not stored twice.
import type { StoredFile } from '@maas/db';
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Platform } from '../core/platform.js';
import { BlobSourceClosedError, type BlobStore, BlobTooLargeError } from './blob-store.js';
import { GgufError, GgufInspector, type GgufSummary } from './gguf/reader.js';
import { cleanContentType, cleanFilename, toStoredFile, tooLarge, type Upload } from './service.js';

const PROBLEM_MESSAGES = {
  not_gguf: 'MODEL_FILE_NOT_GGUF',
  unsupported_version: 'MODEL_FILE_INVALID',
  invalid: 'MODEL_FILE_INVALID',
  truncated: 'MODEL_FILE_TRUNCATED',
} as const;

function modelFileError(error: GgufError): AppError {
  return new AppError('INVALID_REQUEST', {
    message: PROBLEM_MESSAGES[error.problem],
    params: { reason: error.reason },
    details: { field: 'file', problem: error.problem, reason: error.reason },
  });
}

/** The source piped through the inspector, with the source's early end or error passed on. */
function inspected(upload: Upload, inspector: GgufInspector): GgufInspector {
  const source = upload.stream;
  source.once('error', (error) => inspector.destroy(error));
  source.once('close', () => {
    if (!source.readableEnded) inspector.destroy(new BlobSourceClosedError('the upload stream closed before it ended'));
  });
  return source.pipe(inspector);
}

export async function storeModelUpload(platform: Platform, store: BlobStore, actor: Actor, upload: Upload) {
  const maxBytes = platform.config.modelUploadMaxBytes;
  const id = newId('file');
  const inspector = new GgufInspector();
  let blob;
  try {
    blob = await store.put(id, inspected(upload, inspector), { maxBytes });
  } catch (error) {
    if (error instanceof GgufError) throw modelFileError(error);
    if (error instanceof BlobTooLargeError) throw tooLarge(maxBytes);
    if (error instanceof BlobSourceClosedError) throw new AppError('INVALID_REQUEST', { message: 'UPLOAD_INCOMPLETE', cause: error });
    throw error;
  }
  try {
    if (upload.stream.truncated) throw tooLarge(maxBytes);
    const summary = inspector.summary as GgufSummary;
    const existing = await platform.db
      .selectFrom('files')
      .selectAll()
      .where('owner_id', '=', actor.userId)
      .where('purpose', '=', 'model')
      .where('sha256', '=', blob.sha256)
      .executeTakeFirst();
    if (existing) {
      await store.delete(blob.storageKey);
      return toStoredFile(existing);
    }
    const row: StoredFile = await platform.db
      .insertInto('files')
      .values({
        id,
        owner_id: actor.userId,
        filename: cleanFilename(upload.filename),
        bytes: BigInt(blob.bytes),
        sha256: blob.sha256,
        content_type: cleanContentType(upload.contentType),
        storage_key: blob.storageKey,
        purpose: 'model',
        metadata: JSON.stringify(summary),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toStoredFile(row);
  } catch (error) {
    await store.delete(blob.storageKey);
    throw error;
  }
}
