import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface StoredBlob {
  /** Where the store keeps the bytes; what `open` and `delete` take. */
  storageKey: string;
  bytes: number;
  /** Hex SHA-256 of the content. */
  sha256: string;
}

/** Where uploaded bytes live. Streams in and out: a blob is never held in memory whole. */
export interface BlobStore {
  /** Streams `source` in while hashing it; more than `maxBytes` fails with BlobTooLargeError and leaves nothing behind. */
  put(id: string, source: Readable, options: { maxBytes: number }): Promise<StoredBlob>;
  open(storageKey: string): Readable;
  /** Idempotent. */
  delete(storageKey: string): Promise<void>;
  /** A path on this machine where the blob can be read directly (the local model runtime maps model files); absent when there is none. */
  localPath?(storageKey: string): string;
}

export class BlobTooLargeError extends Error {
  override readonly name = 'BlobTooLargeError';
}

/** The source ended early: the client's body was cut short (found by the fuzz suite, issue #5). */
export class BlobSourceClosedError extends Error {
  override readonly name = 'BlobSourceClosedError';
}

const SAFE_ID = /^[a-z]+_[a-z0-9]+$/;
const SAFE_KEY = /^[a-z0-9]{2}\/[a-z]+_[a-z0-9]+$/;

/**
 * Blobs as files under one directory (DATA_DIR/blobs by default), fanned out by the id's last two
 * characters. A blob is written to a temporary name and renamed once complete, so a reader never
 * sees half a file.
 */
export class LocalDiskBlobStore implements BlobStore {
  readonly #root: string;

  constructor(root: string) {
    this.#root = path.resolve(root);
  }

  async put(id: string, source: Readable, options: { maxBytes: number }): Promise<StoredBlob> {
    if (!SAFE_ID.test(id)) throw new Error(`unsafe blob id: ${id}`);
    const storageKey = `${id.slice(-2)}/${id}`;
    const finalPath = this.#pathOf(storageKey);
    const tmpDir = path.join(this.#root, 'tmp');
    const tmpPath = path.join(tmpDir, `${id}.${randomUUID()}.part`);
    // A source that closed before it ended (a multipart body cut short: the parser destroys the
    // part, sometimes without an 'error') emits nothing more, and pipeline() would wait for it
    // forever, leaving the request unanswered. Check now, and listen before the first await.
    if (source.destroyed) throw new BlobSourceClosedError('the upload stream closed before it was read');
    const closedEarly = new Promise<never>((_resolve, reject) => {
      source.once('error', reject);
      source.once('close', () => {
        if (!source.readableEnded) reject(new BlobSourceClosedError('the upload stream closed before it ended'));
      });
    });
    closedEarly.catch(() => {});
    await Promise.race([
      Promise.all([mkdir(tmpDir, { recursive: true }), mkdir(path.dirname(finalPath), { recursive: true })]),
      closedEarly,
    ]);

    const hash = createHash('sha256');
    let bytes = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        if (bytes > options.maxBytes) {
          callback(new BlobTooLargeError(`blob exceeds ${options.maxBytes} bytes`));
          return;
        }
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(source, meter, createWriteStream(tmpPath, { flags: 'wx', mode: 0o600 }));
      await rename(tmpPath, finalPath);
    } catch (error) {
      await rm(tmpPath, { force: true });
      // The same early close once pipeline() listens: a premature close of the source.
      const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
      if (code === 'ERR_STREAM_PREMATURE_CLOSE' && !source.readableEnded) {
        throw new BlobSourceClosedError('the upload stream closed before it ended', { cause: error });
      }
      throw error;
    }
    return { storageKey, bytes, sha256: hash.digest('hex') };
  }

  open(storageKey: string): Readable {
    return createReadStream(this.#pathOf(storageKey));
  }

  async delete(storageKey: string): Promise<void> {
    await rm(this.#pathOf(storageKey), { force: true });
  }

  localPath(storageKey: string): string {
    return this.#pathOf(storageKey);
  }

  #pathOf(storageKey: string): string {
    if (!SAFE_KEY.test(storageKey)) throw new Error(`unsafe blob key: ${storageKey}`);
    return path.join(this.#root, storageKey);
  }
}

/** The default store of a platform: DATA_DIR/blobs. */
export function localBlobStore(dataDir: string): LocalDiskBlobStore {
  return new LocalDiskBlobStore(path.join(dataDir, 'blobs'));
}
