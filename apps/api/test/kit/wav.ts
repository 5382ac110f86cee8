// WAV (RIFF/WAVE) read and written for the audio tests, from the format's specification and
// independently of the platform's own reader: a test that used the code under test to check itself
// would prove nothing.

export interface ParsedWav {
  riffSize: number;
  audioFormat: number;
  channels: number;
  sampleRate: number;
  byteRate: number;
  blockAlign: number;
  bitsPerSample: number;
  dataBytes: number;
  /** dataBytes / byteRate, in ms. */
  durationMs: number;
  /** Chunk ids in file order. */
  chunks: string[];
}

/** Parses a WAV strictly: throws on anything the specification does not allow. */
export function parseWav(bytes: Uint8Array): ParsedWav {
  const b = Buffer.from(bytes);
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not RIFF/WAVE');
  const riffSize = b.readUInt32LE(4);
  if (riffSize !== b.length - 8) throw new Error(`RIFF size ${riffSize} != file size - 8 (${b.length - 8})`);
  const chunks: string[] = [];
  let fmt: Omit<ParsedWav, 'riffSize' | 'dataBytes' | 'durationMs' | 'chunks'> | undefined;
  let dataBytes: number | undefined;
  for (let offset = 12; offset < b.length;) {
    const id = b.toString('ascii', offset, offset + 4);
    const size = b.readUInt32LE(offset + 4);
    if (offset + 8 + size > b.length) throw new Error(`chunk ${id} runs past the end`);
    chunks.push(id);
    if (id === 'fmt ') {
      fmt = {
        audioFormat: b.readUInt16LE(offset + 8),
        channels: b.readUInt16LE(offset + 10),
        sampleRate: b.readUInt32LE(offset + 12),
        byteRate: b.readUInt32LE(offset + 16),
        blockAlign: b.readUInt16LE(offset + 20),
        bitsPerSample: b.readUInt16LE(offset + 22),
      };
      if (fmt.blockAlign !== (fmt.channels * fmt.bitsPerSample) / 8) throw new Error('blockAlign inconsistent');
      if (fmt.byteRate !== fmt.sampleRate * fmt.blockAlign) throw new Error('byteRate inconsistent');
    } else if (id === 'data') {
      if (!fmt) throw new Error('data before fmt');
      dataBytes = size;
      if (size % fmt.blockAlign !== 0) throw new Error('data is not whole sample frames');
    }
    offset += 8 + size + (size % 2);
  }
  if (!fmt || dataBytes === undefined) throw new Error('missing fmt or data');
  return { riffSize, ...fmt, dataBytes, durationMs: (dataBytes * 1000) / fmt.byteRate, chunks };
}

/** A mono 16-bit WAV of `ms` milliseconds of a quiet 440 Hz tone at `sampleRate`. */
export function toneWav(ms: number, sampleRate = 16_000): Buffer {
  const samples = Math.round((ms * sampleRate) / 1000);
  const b = Buffer.alloc(44 + samples * 2);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(36 + samples * 2, 4);
  b.write('WAVEfmt ', 8, 'ascii');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20);
  b.writeUInt16LE(1, 22);
  b.writeUInt32LE(sampleRate, 24);
  b.writeUInt32LE(sampleRate * 2, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36, 'ascii');
  b.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) b.writeInt16LE(Math.round(2_000 * Math.sin((2 * Math.PI * 440 * i) / sampleRate)), 44 + i * 2);
  return b;
}
