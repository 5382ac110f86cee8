// Audio files as bytes (issue 14): a WAV written and read (RIFF, 16-bit PCM), and the length of the
// formats the platform measures itself (WAV, MP3, raw PCM, Ogg, FLAC, ADTS AAC), read from their
// headers without decoding. The length is what per-second and per-minute prices bill, so it comes
// from the file, not from what a provider says it made.

/** OpenAI's speech sample rate (its `pcm` format is 24 kHz 16-bit little-endian mono). */
export const SPEECH_SAMPLE_RATE = 24_000;

/** A mono 16-bit PCM WAV of these samples. */
export function encodeWav(samples: Int16Array, sampleRate: number): Uint8Array {
  const dataBytes = samples.length * 2;
  const out = Buffer.alloc(44 + dataBytes);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write('WAVE', 8, 'latin1');
  out.write('fmt ', 12, 'latin1');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * 2, 28); // byte rate
  out.writeUInt16LE(2, 32); // block align
  out.writeUInt16LE(16, 34); // bits per sample
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(dataBytes, 40);
  // WAV samples are little-endian, as Int16Array is on every platform Node runs on.
  out.set(new Uint8Array(samples.buffer, samples.byteOffset, dataBytes), 44);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

export interface WavInfo {
  /** 1: integer PCM, 3: float, others (compressed) are read for their length only when byteRate says it. */
  audioFormat: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  byteRate: number;
  dataOffset: number;
  dataBytes: number;
  durationMs: number;
}

function view(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The `fmt ` and `data` chunks of a RIFF/WAVE file, or null when it is not one. */
export function readWav(bytes: Uint8Array): WavInfo | null {
  const b = view(bytes);
  if (b.length < 12 || b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WAVE') return null;
  let fmt: Omit<WavInfo, 'dataOffset' | 'dataBytes' | 'durationMs'> | null = null;
  let offset = 12;
  while (offset + 8 <= b.length) {
    const id = b.toString('latin1', offset, offset + 4);
    const size = b.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ' && size >= 16 && body + 16 <= b.length) {
      fmt = {
        audioFormat: b.readUInt16LE(body),
        channels: b.readUInt16LE(body + 2),
        sampleRate: b.readUInt32LE(body + 4),
        byteRate: b.readUInt32LE(body + 8),
        bitsPerSample: b.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      if (!fmt || fmt.byteRate === 0 || fmt.channels === 0 || fmt.sampleRate === 0) return null;
      // A streamed WAV may declare an unknown (0 or oversized) length: the data runs to the end.
      const dataBytes = size === 0 || body + size > b.length ? b.length - body : size;
      return { ...fmt, dataOffset: body, dataBytes, durationMs: (dataBytes * 1000) / fmt.byteRate };
    }
    offset = body + size + (size % 2);
  }
  return null;
}

/** The first channel of a 16-bit PCM WAV as samples in [-1, 1), or null for any other encoding. */
export function wavMonoSamples(bytes: Uint8Array, info: WavInfo): Float32Array | null {
  if (info.audioFormat !== 1 || info.bitsPerSample !== 16) return null;
  const count = Math.floor(info.dataBytes / (2 * info.channels));
  // A copy, so the samples are aligned whatever the data chunk's offset (little-endian, as on every platform Node runs on).
  // (Uint8Array's own slice: a Buffer's slice is a view into a shared pool, not a copy.)
  const pcm = new Int16Array(Uint8Array.prototype.slice.call(bytes, info.dataOffset, info.dataOffset + count * 2 * info.channels).buffer);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = pcm[i * info.channels]! / 32_768;
  return out;
}

const MP3_BITRATES = {
  v1: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  v2: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const MP3_SAMPLE_RATES: Record<number, number[]> = { 3: [44_100, 48_000, 32_000], 2: [22_050, 24_000, 16_000], 0: [11_025, 12_000, 8_000] };

/** The length of an MPEG layer III stream: its frames walked one by one (after any ID3v2 tag); an Xing/Info frame is not audio. */
export function mp3DurationMs(bytes: Uint8Array): number | null {
  const b = view(bytes);
  let offset = 0;
  if (b.length >= 10 && b.toString('latin1', 0, 3) === 'ID3') {
    offset = 10 + (((b[6]! & 0x7f) << 21) | ((b[7]! & 0x7f) << 14) | ((b[8]! & 0x7f) << 7) | (b[9]! & 0x7f));
  }
  let samples = 0;
  let sampleRate = 0;
  let frames = 0;
  while (offset + 4 <= b.length) {
    const [h0, h1, h2] = [b[offset]!, b[offset + 1]!, b[offset + 2]!];
    if (h0 !== 0xff || (h1 & 0xe0) !== 0xe0) break;
    const version = (h1 >> 3) & 3;
    const layer = (h1 >> 1) & 3;
    const bitrateIndex = h2 >> 4;
    const rateIndex = (h2 >> 2) & 3;
    if (version === 1 || layer !== 1 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) break;
    const rate = MP3_SAMPLE_RATES[version]![rateIndex]!;
    const kbps = (version === 3 ? MP3_BITRATES.v1 : MP3_BITRATES.v2)[bitrateIndex]!;
    const perFrame = version === 3 ? 1152 : 576;
    const length = Math.floor(((perFrame / 8) * kbps * 1000) / rate) + ((h2 >> 1) & 1);
    const frame = b.subarray(offset, Math.min(offset + length, b.length));
    const isTag = frames === 0 && (frame.includes('Xing', 0, 'latin1') || frame.includes('Info', 0, 'latin1'));
    if (!isTag) samples += perFrame;
    sampleRate = rate;
    frames++;
    offset += length;
  }
  return samples > 0 ? (samples * 1000) / sampleRate : null;
}

/** An Ogg stream's length: the last page's granule position (Opus at 48 kHz less its pre-skip; Vorbis at its rate). */
function oggDurationMs(b: Buffer): number | null {
  const last = b.lastIndexOf('OggS', undefined, 'latin1');
  if (last < 0 || last + 14 > b.length) return null;
  const granule = Number(b.readBigUInt64LE(last + 6));
  const opus = b.indexOf('OpusHead', 0, 'latin1');
  if (opus >= 0 && opus + 12 <= b.length) return ((granule - b.readUInt16LE(opus + 10)) * 1000) / 48_000;
  const vorbis = b.indexOf('\x01vorbis', 0, 'latin1');
  if (vorbis >= 0 && vorbis + 16 <= b.length) return (granule * 1000) / b.readUInt32LE(vorbis + 12);
  return null;
}

/** FLAC: STREAMINFO's sample rate (20 bits) and total samples (36 bits). */
function flacDurationMs(b: Buffer): number | null {
  if (b.length < 26) return null;
  const rate = (b[18]! << 12) | (b[19]! << 4) | (b[20]! >> 4);
  const total = (b[21]! & 0x0f) * 2 ** 32 + b.readUInt32BE(22);
  return rate > 0 && total > 0 ? (total * 1000) / rate : null;
}

const ADTS_SAMPLE_RATES = [96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000, 11_025, 8_000, 7_350];

/** ADTS AAC: 1024 samples for each frame's raw data block. */
function adtsDurationMs(b: Buffer): number | null {
  let offset = 0;
  let samples = 0;
  let rate = 0;
  while (offset + 7 <= b.length && b[offset] === 0xff && (b[offset + 1]! & 0xf6) === 0xf0) {
    rate = ADTS_SAMPLE_RATES[(b[offset + 2]! >> 2) & 0x0f] ?? 0;
    const length = ((b[offset + 3]! & 0x03) << 11) | (b[offset + 4]! << 3) | (b[offset + 5]! >> 5);
    if (rate === 0 || length < 7) return null;
    samples += 1024 * ((b[offset + 6]! & 0x03) + 1);
    offset += length;
  }
  return samples > 0 ? (samples * 1000) / rate : null;
}

/** The audio's length in milliseconds when its format is one the platform can measure, else null. */
export function audioDurationMs(bytes: Uint8Array, format: string): number | null {
  const b = view(bytes);
  switch (format) {
    case 'wav':
    case 'audio/wav':
      return readWav(bytes)?.durationMs ?? null;
    case 'mp3':
    case 'audio/mpeg':
      return mp3DurationMs(bytes);
    case 'pcm':
    case 'audio/pcm':
      return (b.length / 2 / SPEECH_SAMPLE_RATE) * 1000;
    case 'opus':
    case 'audio/opus':
    case 'audio/ogg':
      return oggDurationMs(b);
    case 'flac':
    case 'audio/flac':
      return b.toString('latin1', 0, 4) === 'fLaC' ? flacDurationMs(b) : null;
    case 'aac':
    case 'audio/aac':
      return adtsDurationMs(b);
    default:
      return null;
  }
}
