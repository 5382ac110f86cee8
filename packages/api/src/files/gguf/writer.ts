// A minimal GGUF v3 writer: enough for the test model the platform generates for itself
// (tiny-model.ts). Values are written little-endian, tensors aligned to 32 bytes.
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GgufValueType } from './format.js';

export type GgufValue =
  | { type: 'u32'; value: number }
  | { type: 'i32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'string[]'; value: string[] }
  | { type: 'f32[]'; value: number[] }
  | { type: 'i32[]'; value: number[] };

export interface GgufTensor {
  name: string;
  /** ggml order: the innermost (contiguous) dimension first. */
  dims: number[];
  /** F32 data, `dims` multiplied out. */
  data: Float32Array;
}

class ByteWriter {
  readonly #chunks: Buffer[] = [];
  length = 0;

  bytes(buffer: Buffer): void {
    this.#chunks.push(buffer);
    this.length += buffer.length;
  }
  u32(value: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value);
    this.bytes(b);
  }
  i32(value: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(value);
    this.bytes(b);
  }
  u64(value: number | bigint): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(value));
    this.bytes(b);
  }
  f32(value: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(value);
    this.bytes(b);
  }
  string(value: string): void {
    const text = Buffer.from(value, 'utf8');
    this.u64(text.length);
    this.bytes(text);
  }
  pad(alignment: number): void {
    const rest = this.length % alignment;
    if (rest !== 0) this.bytes(Buffer.alloc(alignment - rest));
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.#chunks, this.length);
  }
}

function writeValue(out: ByteWriter, value: GgufValue): void {
  switch (value.type) {
    case 'u32':
      out.u32(GgufValueType.UINT32);
      out.u32(value.value);
      return;
    case 'i32':
      out.u32(GgufValueType.INT32);
      out.i32(value.value);
      return;
    case 'f32':
      out.u32(GgufValueType.FLOAT32);
      out.f32(value.value);
      return;
    case 'bool':
      out.u32(GgufValueType.BOOL);
      out.bytes(Buffer.from([value.value ? 1 : 0]));
      return;
    case 'string':
      out.u32(GgufValueType.STRING);
      out.string(value.value);
      return;
    case 'string[]':
      out.u32(GgufValueType.ARRAY);
      out.u32(GgufValueType.STRING);
      out.u64(value.value.length);
      for (const item of value.value) out.string(item);
      return;
    case 'f32[]':
      out.u32(GgufValueType.ARRAY);
      out.u32(GgufValueType.FLOAT32);
      out.u64(value.value.length);
      for (const item of value.value) out.f32(item);
      return;
    case 'i32[]':
      out.u32(GgufValueType.ARRAY);
      out.u32(GgufValueType.INT32);
      out.u64(value.value.length);
      for (const item of value.value) out.i32(item);
      return;
  }
}

/** Header, metadata and tensor infos of F32 tensors of the given shapes, padded to where the data starts. */
export function writeGgufHeader(metadata: Record<string, GgufValue>, tensors: readonly { name: string; dims: number[] }[]): Buffer {
  const out = new ByteWriter();
  out.u32(GGUF_MAGIC);
  out.u32(3);
  out.u64(tensors.length);
  out.u64(Object.keys(metadata).length);
  for (const [key, value] of Object.entries(metadata)) {
    out.string(key);
    writeValue(out, value);
  }
  let offset = 0;
  for (const tensor of tensors) {
    out.string(tensor.name);
    out.u32(tensor.dims.length);
    for (const dim of tensor.dims) out.u64(dim);
    out.u32(0); // F32
    out.u64(offset);
    offset += tensor.dims.reduce((a, b) => a * b, 1) * 4;
    offset += (GGUF_DEFAULT_ALIGNMENT - (offset % GGUF_DEFAULT_ALIGNMENT)) % GGUF_DEFAULT_ALIGNMENT;
  }
  out.pad(GGUF_DEFAULT_ALIGNMENT);
  return out.toBuffer();
}

/** The whole file: header, metadata, tensor infos, then the F32 tensor data, each aligned. */
export function writeGguf(metadata: Record<string, GgufValue>, tensors: readonly GgufTensor[]): Buffer {
  const out = new ByteWriter();
  out.bytes(writeGgufHeader(metadata, tensors));
  for (const tensor of tensors) {
    out.bytes(Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
    out.pad(GGUF_DEFAULT_ALIGNMENT);
  }
  return out.toBuffer();
}
