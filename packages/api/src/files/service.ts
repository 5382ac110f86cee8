import type { Database, StoredFile } from '@maas/db';
import type { Kysely } from 'kysely';
import type { Readable } from 'node:stream';
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { isOwnerOrAdmin } from '../core/ownership.js';
import type { Platform } from '../core/platform.js';
import { toIso } from '../core/time.js';
import { BlobSourceClosedError, type BlobStore, BlobTooLargeError } from './blob-store.js';

function toStoredFile(row: StoredFile) {
  return {
    id: row.id,
    filename: row.filename,
    bytes: Number(row.bytes),
    sha256: row.sha256,
    content_type: row.content_type,
    owner: row.owner_id,
    created_at: toIso(row.created_at),
  };
}

/** A multipart body cut at its limit by the parser says so here (busboy's `truncated`). */
export interface UploadStream extends Readable {
  truncated?: boolean;
}

export interface Upload {
  filename: string | undefined;
  contentType: string | undefined;
  stream: UploadStream;
}

const CONTENT_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

// C0 controls, DEL, C1 controls, the Arabic letter mark, LRM/RLM, LRE..RLO and LRI..PDI.
const FILENAME_INVISIBLES = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function cleanFilename(raw: string | undefined): string {
  // Only the last path segment, without control characters: a name is shown, never used as a path.
  // Bidi marks, embeddings, overrides and isolates go too, so `invoice\u202Efdp.exe` cannot pose as a PDF.
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(FILENAME_INVISIBLES, '').trim().slice(0, 255);
  return cleaned || 'upload';
}

function cleanContentType(raw: string | undefined): string {
  const type = (raw ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return CONTENT_TYPE.test(type) ? type : 'application/octet-stream';
}

function tooLarge(maxBytes: number): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', {
    message: 'UPLOAD_TOO_LARGE',
    params: { max_bytes: maxBytes },
    details: { max_bytes: maxBytes },
  });
}

/**
 * Streams an upload into the blob store (hashing on the way) and records it. Over the size limit
 * is a 413 and leaves neither a blob nor a row behind.
 */
export async function storeUpload(platform: Platform, store: BlobStore, actor: Actor, upload: Upload) {
  const maxBytes = platform.config.uploadMaxBytes;
  const id = newId('file');
  let blob;
  try {
    blob = await store.put(id, upload.stream, { maxBytes });
  } catch (error) {
    if (error instanceof BlobTooLargeError) throw tooLarge(maxBytes);
    if (error instanceof BlobSourceClosedError) throw new AppError('INVALID_REQUEST', { message: 'UPLOAD_INCOMPLETE', cause: error });
    throw error;
  }
  try {
    if (upload.stream.truncated) throw tooLarge(maxBytes);
    const row = await platform.db
      .insertInto('files')
      .values({
        id,
        owner_id: actor.userId,
        filename: cleanFilename(upload.filename),
        bytes: BigInt(blob.bytes),
        sha256: blob.sha256,
        content_type: cleanContentType(upload.contentType),
        storage_key: blob.storageKey,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toStoredFile(row);
  } catch (error) {
    await store.delete(blob.storageKey);
    throw error;
  }
}

/** The file if the actor owns it (admins see every file); anyone else gets the same 404 as for a missing one. */
export async function getFile(db: Kysely<Database>, actor: Actor, fileId: string) {
  const row = await db.selectFrom('files').selectAll().where('id', '=', fileId).executeTakeFirst();
  if (!row || !isOwnerOrAdmin(actor, row.owner_id)) throw new AppError('NOT_FOUND', { message: 'FILE_NOT_FOUND' });
  return toStoredFile(row);
}

/** True when the file exists and belongs to this user (model_file must be the caller's own upload). */
export async function isOwnFile(db: Kysely<Database>, userId: string, fileId: string): Promise<boolean> {
  const row = await db.selectFrom('files').select('id').where('id', '=', fileId).where('owner_id', '=', userId).executeTakeFirst();
  return row !== undefined;
}
