import { describe, expect, it } from 'vitest';
import { audioDurationMs, readWav, wavMonoSamples } from '../../src/inference/audio-bytes.js';

// The length of an audio file is what per-second and per-minute prices bill. Each file here is
// built by hand from its format's specification, so the reader is checked against the format, not
// against itself.

function mp3Frame(options: { pad?: boolean; payload?: string } = {}): Buffer {
  // MPEG-1 layer III, no CRC, 128 kbit/s, 44.1 kHz: 144 × 128 000 / 44 100 = 417 bytes (+1 padded).
  const length = 417 + (options.pad ? 1 : 0);
  const frame = Buffer.alloc(length);
  frame.set([0xff, 0xfb, 0x90 | (options.pad ? 0x02 : 0), 0x64]);
  if (options.payload) frame.write(options.payload, 36, 'latin1');
  return frame;
}

function oggPage(granule: bigint, payload: Buffer): Buffer {
  const header = Buffer.alloc(27 + 1);
  header.write('OggS', 0, 'latin1');
  header.writeBigUInt64LE(granule, 6);
  header[26] = 1;
  header[27] = payload.length;
  return Buffer.concat([header, payload]);
}

function adtsFrame(sampleRateIndex: number, payloadBytes: number): Buffer {
  const length = 7 + payloadBytes;
  const frame = Buffer.alloc(length);
  frame[0] = 0xff;
  frame[1] = 0xf1; // MPEG-4, layer 0, no CRC
  frame[2] = (1 << 6) | (sampleRateIndex << 2); // AAC LC
  frame[3] = (2 << 6) | (length >> 11); // 2 channels
  frame[4] = (length >> 3) & 0xff;
  frame[5] = ((length & 7) << 5) | 0x1f;
  frame[6] = 0xfc; // one raw data block
  return frame;
}

describe('audioDurationMs', () => {
  it('walks MP3 frames after an ID3v2 tag, padding included, and does not count an Info frame as audio', () => {
    const id3 = Buffer.concat([Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x0a', 'latin1'), Buffer.alloc(10)]);
    const frames = [mp3Frame({ payload: 'Info' }), ...Array.from({ length: 10 }, (_, i) => mp3Frame({ pad: i % 3 === 0 }))];
    expect(audioDurationMs(Buffer.concat([id3, ...frames]), 'audio/mpeg')).toBeCloseTo((10 * 1152 * 1000) / 44_100, 6);
  });

  it('reads an Ogg Opus stream from its last granule position less the pre-skip (48 kHz)', () => {
    const head = Buffer.alloc(19);
    head.write('OpusHead', 0, 'latin1');
    head[8] = 1;
    head[9] = 1;
    head.writeUInt16LE(312, 10);
    const file = Buffer.concat([oggPage(0n, head), oggPage(96_000n, Buffer.alloc(20)), oggPage(144_312n, Buffer.alloc(20))]);
    expect(audioDurationMs(file, 'audio/ogg')).toBe(3_000);
    expect(audioDurationMs(file, 'opus')).toBe(3_000);
  });

  it('reads FLAC total samples and sample rate from STREAMINFO', () => {
    const info = Buffer.alloc(34);
    // Sample rate 44 100 (20 bits), 2 channels (3 bits, minus one), 16 bits a sample (5 bits, minus one), 110 250 samples (36 bits).
    const rate = 44_100;
    const total = 110_250;
    info[10] = rate >> 12;
    info[11] = (rate >> 4) & 0xff;
    info[12] = ((rate & 0x0f) << 4) | (1 << 1) | (15 >> 4);
    info[13] = ((15 & 0x0f) << 4) | Math.floor(total / 2 ** 32);
    info.writeUInt32BE(total % 2 ** 32, 14);
    const file = Buffer.concat([Buffer.from('fLaC', 'latin1'), Buffer.from([0x80, 0, 0, 34]), info]);
    expect(audioDurationMs(file, 'audio/flac')).toBe(2_500);
  });

  it('counts ADTS AAC frames of 1 024 samples', () => {
    const file = Buffer.concat(Array.from({ length: 47 }, (_, i) => adtsFrame(6, 10 + i)));
    expect(audioDurationMs(file, 'aac')).toBeCloseTo((47 * 1024 * 1000) / 24_000, 6);
  });

  it('measures raw PCM as 24 kHz 16-bit mono, and answers null for what it cannot read', () => {
    expect(audioDurationMs(Buffer.alloc(48_000), 'pcm')).toBe(1_000);
    expect(audioDurationMs(Buffer.from('not audio'), 'audio/mpeg')).toBeNull();
    expect(audioDurationMs(Buffer.from('OggS'), 'audio/ogg')).toBeNull();
    expect(audioDurationMs(Buffer.alloc(100), 'audio/webm')).toBeNull();
  });
});

describe('readWav', () => {
  it('skips chunks before data and reads the first channel of a stereo file', () => {
    const list = Buffer.concat([Buffer.from('LIST', 'latin1'), Buffer.from([5, 0, 0, 0]), Buffer.from('INFOx', 'latin1'), Buffer.alloc(1)]);
    const fmt = Buffer.alloc(24);
    fmt.write('fmt ', 0, 'latin1');
    fmt.writeUInt32LE(16, 4);
    fmt.writeUInt16LE(1, 8);
    fmt.writeUInt16LE(2, 10);
    fmt.writeUInt32LE(8_000, 12);
    fmt.writeUInt32LE(32_000, 16);
    fmt.writeUInt16LE(4, 20);
    fmt.writeUInt16LE(16, 22);
    const frames = 4_000;
    const data = Buffer.alloc(8 + frames * 4);
    data.write('data', 0, 'latin1');
    data.writeUInt32LE(frames * 4, 4);
    for (let i = 0; i < frames; i++) {
      data.writeInt16LE(i % 2 === 0 ? 16_384 : -16_384, 8 + i * 4);
      data.writeInt16LE(123, 10 + i * 4);
    }
    const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), list, fmt, data]);
    const file = Buffer.concat([Buffer.from('RIFF', 'latin1'), Buffer.alloc(4), body]);
    file.writeUInt32LE(body.length, 4);
    const info = readWav(file)!;
    expect(info).toMatchObject({ channels: 2, sampleRate: 8_000, bitsPerSample: 16, dataBytes: frames * 4, durationMs: 500 });
    const samples = wavMonoSamples(file, info)!;
    expect(samples.length).toBe(frames);
    expect([samples[0], samples[1]]).toEqual([0.5, -0.5]);
    expect(readWav(Buffer.from('RIFF\x00\x00\x00\x00WAVE', 'latin1'))).toBeNull();
  });
});
