import type { Database, StoredFile } from '@maas/db';
import type { Kysely } from 'kysely';
import { Readable } from 'node:stream';
import type { z } from 'zod';
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { isOwnerOrAdmin } from '../core/ownership.js';
import type { Platform } from '../core/platform.js';
import { listPage } from '../core/pagination.js';
import { toIso } from '../core/time.js';
import { BlobSourceClosedError, type BlobStore, BlobTooLargeError } from './blob-store.js';
import type { ListFilesInput } from './schemas.js';

declare module '../core/platform.js' {
  interface Platform {
    /** Where uploaded and generated files' bytes live (DATA_DIR/blobs by default). */
    blobs: BlobStore;
  }
}

export function toStoredFile(row: StoredFile) {
  return {
    id: row.id,
    filename: row.filename,
    bytes: Number(row.bytes),
    sha256: row.sha256,
    content_type: row.content_type,
    owner: row.owner_id,
    purpose: row.purpose,
    ...(row.metadata ? { metadata: row.metadata } : {}),
    expires_at: row.expires_at ? toIso(row.expires_at) : null,
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

export function cleanFilename(raw: string | undefined): string {
  // Only the last path segment, without control characters: a name is shown, never used as a path.
  // Bidi marks, embeddings, overrides and isolates go too, so `invoice\u202Efdp.exe` cannot pose as a PDF.
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(FILENAME_INVISIBLES, '').trim().slice(0, 255);
  return cleaned || 'upload';
}

export function cleanContentType(raw: string | undefined): string {
  const type = (raw ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return CONTENT_TYPE.test(type) ? type : 'application/octet-stream';
}

export function tooLarge(maxBytes: number): AppError {
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

/** The contract's file list, newest first: the caller's own files (admins too: a list is personal). */
export async function listFiles(db: Kysely<Database>, actor: Actor, input: z.infer<typeof ListFilesInput>) {
  let rows = db.selectFrom('files').selectAll().where('owner_id', '=', actor.userId);
  let count = db.selectFrom('files').where('owner_id', '=', actor.userId);
  if (input.purpose) {
    rows = rows.where('purpose', '=', input.purpose);
    count = count.where('purpose', '=', input.purpose);
  }
  return listPage(input, { rows: rows.orderBy('created_at', 'desc').orderBy('id', 'desc'), count }, toStoredFile);
}

/** A file's bytes, for its owner (or an admin): the same 404 as a missing file for anyone else. */
export async function openFileContent(platform: Platform, actor: Actor, fileId: string) {
  const row = await platform.db.selectFrom('files').selectAll().where('id', '=', fileId).executeTakeFirst();
  if (!row || !isOwnerOrAdmin(actor, row.owner_id)) throw new AppError('NOT_FOUND', { message: 'FILE_NOT_FOUND' });
  return { file: toStoredFile(row), stream: platform.blobs.open(row.storage_key) };
}

/** Deletes a file and its bytes (owner or admin). A model still naming it keeps the id; calls to it fail to load it. */
export async function deleteFile(platform: Platform, actor: Actor, fileId: string): Promise<void> {
  const row = await platform.db.selectFrom('files').selectAll().where('id', '=', fileId).executeTakeFirst();
  if (!row || !isOwnerOrAdmin(actor, row.owner_id)) throw new AppError('NOT_FOUND', { message: 'FILE_NOT_FOUND' });
  const deleted = await platform.db.deleteFrom('files').where('id', '=', row.id).returning('id').executeTakeFirst();
  if (deleted) await platform.blobs.delete(row.storage_key);
}

export interface GeneratedMedia {
  /** The bytes the platform produced (media are small enough to hold: an image, seconds of audio or video). */
  bytes: Uint8Array;
  contentType: string;
  filename: string;
  /** What is known about it: an image's width and height, a duration. */
  metadata?: Record<string, unknown>;
}

/**
 * Stores media the platform generated for `ownerId` as a file (purpose `generated`), to expire after
 * the retention setting. Served with auth at `GET /api/v1/files/{id}/content`.
 */
export async function storeGenerated(platform: Platform, ownerId: string, media: GeneratedMedia) {
  const id = newId('file');
  const blob = await platform.blobs.put(id, Readable.from([Buffer.from(media.bytes)]), { maxBytes: Number.MAX_SAFE_INTEGER });
  const retentionHours = platform.config.generatedFileRetentionHours;
  try {
    const row = await platform.db
      .insertInto('files')
      .values({
        id,
        owner_id: ownerId,
        filename: cleanFilename(media.filename),
        bytes: BigInt(blob.bytes),
        sha256: blob.sha256,
        content_type: cleanContentType(media.contentType),
        storage_key: blob.storageKey,
        purpose: 'generated',
        metadata: media.metadata ? JSON.stringify(media.metadata) : null,
        expires_at: retentionHours > 0 ? new Date(Date.now() + retentionHours * 3_600_000) : null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toStoredFile(row);
  } catch (error) {
    await platform.blobs.delete(blob.storageKey);
    throw error;
  }
}

/** Deletes generated files past their retention, a batch at a time; returns how many went. */
export async function deleteExpiredFiles(platform: Platform, now = new Date()): Promise<number> {
  const expired = await platform.db
    .deleteFrom('files')
    .where('id', 'in', (eb) => eb.selectFrom('files').select('id').where('expires_at', '<=', now).limit(500))
    .returning('storage_key')
    .execute();
  await Promise.all(expired.map((row) => platform.blobs.delete(row.storage_key)));
  return expired.length;
}
