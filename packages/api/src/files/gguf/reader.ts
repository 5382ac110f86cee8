// Reads and checks a GGUF file's header as its bytes stream past (issue 15 part 1): the upload is
// refused with the problem named before anything is stored, and a model file is never held in
// memory (only its header is buffered, up to MAX_HEADER_BYTES).
import { Transform, type TransformCallback } from 'node:stream';
import { FILE_TYPES, GGML_TYPES, GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GgufValueType, SCALAR_BYTES, tensorBytes } from './format.js';

/** Large vocabularies (150k tokens, merges) make headers of tens of MB; more than this is not a model we can serve. */
const MAX_HEADER_BYTES = 256 * 1024 * 1024;
const MAX_TENSORS = 1_000_000;
const MAX_METADATA_KEYS = 100_000;
const MAX_STRING_BYTES = 64 * 1024 * 1024;
/** Metadata strings longer than this are summarised in what is shown, except the chat template. */
const SHOWN_STRING_CHARS = 512;

/** What the upload shows as the file's `metadata`, and what deployment reads back. */
export interface GgufSummary {
  format: 'gguf';
  version: number;
  tensor_count: number;
  architecture: string;
  name: string | null;
  context_length: number | null;
  parameter_count: number;
  quantization: string;
  chat_template: string | null;
  vocab_size: number | null;
  /** Where tensor data ends: the least size a complete file has. */
  data_end: number;
}

export type GgufProblem = 'not_gguf' | 'unsupported_version' | 'invalid' | 'truncated';

/** A file that is not a usable GGUF; `reason` says what was wrong, in English, for the 400. */
export class GgufError extends Error {
  override readonly name = 'GgufError';
  constructor(
    readonly problem: GgufProblem,
    readonly reason: string,
  ) {
    super(reason);
  }
}

class NeedMore extends Error {}

class Cursor {
  offset = 0;
  constructor(private readonly buffer: Buffer) {}

  #take(bytes: number): number {
    if (this.offset + bytes > this.buffer.length) throw new NeedMore();
    const at = this.offset;
    this.offset += bytes;
    return at;
  }
  u32(): number {
    return this.buffer.readUInt32LE(this.#take(4));
  }
  u64(): bigint {
    return this.buffer.readBigUInt64LE(this.#take(8));
  }
  string(): string {
    const length = this.u64();
    if (length > BigInt(MAX_STRING_BYTES)) throw new GgufError('invalid', `a metadata string of ${length} bytes`);
    const at = this.#take(Number(length));
    return this.buffer.toString('utf8', at, at + Number(length));
  }
  scalar(type: number): number | bigint | boolean {
    const size = SCALAR_BYTES[type];
    if (size === undefined) throw new GgufError('invalid', `unknown metadata value type ${type}`);
    const at = this.#take(size);
    const b = this.buffer;
    switch (type) {
      case GgufValueType.UINT8:
        return b.readUInt8(at);
      case GgufValueType.INT8:
        return b.readInt8(at);
      case GgufValueType.UINT16:
        return b.readUInt16LE(at);
      case GgufValueType.INT16:
        return b.readInt16LE(at);
      case GgufValueType.UINT32:
        return b.readUInt32LE(at);
      case GgufValueType.INT32:
        return b.readInt32LE(at);
      case GgufValueType.FLOAT32:
        return b.readFloatLE(at);
      case GgufValueType.BOOL:
        return b.readUInt8(at) !== 0;
      case GgufValueType.UINT64:
        return b.readBigUInt64LE(at);
      case GgufValueType.INT64:
        return b.readBigInt64LE(at);
      default:
        return b.readDoubleLE(at);
    }
  }
}

type MetadataValue = string | number | bigint | boolean | { array: number };

function readValue(cursor: Cursor, type: number): MetadataValue {
  if (type === GgufValueType.STRING) return cursor.string();
  if (type !== GgufValueType.ARRAY) return cursor.scalar(type);
  const itemType = cursor.u32();
  const count = cursor.u64();
  if (count > 100_000_000n) throw new GgufError('invalid', `a metadata array of ${count} items`);
  // Arrays (the vocabulary, merges, scores) are walked, not kept: only their length is shown.
  for (let i = 0n; i < count; i++) {
    if (itemType === GgufValueType.ARRAY) throw new GgufError('invalid', 'nested metadata arrays');
    readValue(cursor, itemType);
  }
  return { array: Number(count) };
}

function asNumber(value: MetadataValue | undefined): number | null {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return null;
}

/** Parses the header if `buffer` holds all of it; NeedMore (internal) when it does not yet. */
function parseHeader(buffer: Buffer): GgufSummary {
  const cursor = new Cursor(buffer);
  if (cursor.u32() !== GGUF_MAGIC) throw new GgufError('not_gguf', 'the file does not start with the GGUF magic bytes');
  const version = cursor.u32();
  if (version !== 2 && version !== 3) throw new GgufError('unsupported_version', `GGUF version ${version} (2 and 3 are supported)`);
  const tensorCount = cursor.u64();
  const keyCount = cursor.u64();
  if (tensorCount === 0n || tensorCount > BigInt(MAX_TENSORS)) throw new GgufError('invalid', `a tensor count of ${tensorCount}`);
  if (keyCount > BigInt(MAX_METADATA_KEYS)) throw new GgufError('invalid', `a metadata key count of ${keyCount}`);
  const metadata = new Map<string, MetadataValue>();
  for (let i = 0n; i < keyCount; i++) {
    const key = cursor.string();
    metadata.set(key, readValue(cursor, cursor.u32()));
  }
  const architecture = metadata.get('general.architecture');
  if (typeof architecture !== 'string' || architecture === '') throw new GgufError('invalid', 'no general.architecture in the metadata');
  const alignment = asNumber(metadata.get('general.alignment')) ?? GGUF_DEFAULT_ALIGNMENT;
  if (alignment <= 0 || alignment % 8 !== 0) throw new GgufError('invalid', `an alignment of ${alignment}`);

  let parameters = 0n;
  let dataEnd = 0n;
  const bytesByType = new Map<number, bigint>();
  for (let i = 0n; i < tensorCount; i++) {
    const name = cursor.string();
    const dimCount = cursor.u32();
    if (dimCount === 0 || dimCount > 4) throw new GgufError('invalid', `tensor ${name} has ${dimCount} dimensions`);
    let elements = 1n;
    for (let d = 0; d < dimCount; d++) elements *= cursor.u64();
    const type = cursor.u32();
    const offset = cursor.u64();
    const bytes = tensorBytes(type, elements);
    if (bytes === undefined) throw new GgufError('invalid', `tensor ${name} has an unknown type ${type}`);
    if (offset % BigInt(alignment) !== 0n) throw new GgufError('invalid', `tensor ${name} is not aligned`);
    parameters += elements;
    if (offset + bytes > dataEnd) dataEnd = offset + bytes;
    bytesByType.set(type, (bytesByType.get(type) ?? 0n) + bytes);
  }
  const dataStart = BigInt(Math.ceil(cursor.offset / alignment) * alignment);

  const fileType = asNumber(metadata.get('general.file_type'));
  let quantization = fileType !== null ? FILE_TYPES[fileType] : undefined;
  if (!quantization) {
    // No (known) file type: the type holding most of the bytes.
    const [dominant] = [...bytesByType.entries()].sort((a, b) => (a[1] < b[1] ? 1 : -1))[0] ?? [0];
    quantization = GGML_TYPES[dominant]?.name ?? 'unknown';
  }
  const template = metadata.get('tokenizer.chat_template');
  const name = metadata.get('general.name');
  const tokens = metadata.get('tokenizer.ggml.tokens');
  return {
    format: 'gguf',
    version,
    tensor_count: Number(tensorCount),
    architecture,
    name: typeof name === 'string' ? name.slice(0, SHOWN_STRING_CHARS) : null,
    context_length: asNumber(metadata.get(`${architecture}.context_length`)),
    parameter_count: Number(parameters),
    quantization,
    chat_template: typeof template === 'string' ? template : null,
    vocab_size: typeof tokens === 'object' ? tokens.array : asNumber(metadata.get(`${architecture}.vocab_size`)),
    data_end: Number(dataStart + dataEnd),
  };
}

/**
 * A pass-through stream that checks the GGUF header as it goes by and, at the end, that the file is
 * as long as its tensors say. It fails (GgufError) as soon as a problem shows, so the upload stops
 * and nothing is stored. `summary` is set once the header has been read.
 */
export class GgufInspector extends Transform {
  summary: GgufSummary | null = null;
  #header: Buffer[] = [];
  #headerBytes = 0;
  #bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#bytes += chunk.length;
    if (this.summary === null) {
      this.#header.push(chunk);
      this.#headerBytes += chunk.length;
      const problem = this.#tryParse();
      if (problem) {
        callback(problem);
        return;
      }
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.summary === null) {
      callback(
        this.#bytes < 4
          ? new GgufError('not_gguf', 'the file is too short to be GGUF')
          : new GgufError('truncated', 'the file ends inside its header'),
      );
      return;
    }
    if (this.#bytes < this.summary.data_end) {
      callback(new GgufError('truncated', `the file has ${this.#bytes} bytes, its tensors need ${this.summary.data_end}`));
      return;
    }
    callback();
  }

  #tryParse(): Error | null {
    const buffer = this.#header.length === 1 ? this.#header[0]! : Buffer.concat(this.#header, this.#headerBytes);
    this.#header = [buffer];
    // Fail fast on a file that is not GGUF at all, without waiting for more bytes.
    if (buffer.length >= 4 && buffer.readUInt32LE(0) !== GGUF_MAGIC)
      return new GgufError('not_gguf', 'the file does not start with the GGUF magic bytes');
    try {
      this.summary = parseHeader(buffer);
      this.#header = [];
      return null;
    } catch (error) {
      if (!(error instanceof NeedMore)) return error instanceof Error ? error : new Error(String(error));
      if (this.#headerBytes > MAX_HEADER_BYTES) return new GgufError('invalid', `a header larger than ${MAX_HEADER_BYTES} bytes`);
      return null;
    }
  }
}
