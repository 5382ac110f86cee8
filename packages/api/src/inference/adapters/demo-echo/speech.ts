// Offline, deterministic speech for the demo provider: the text played as tones that the demo's
// transcription decodes back (transcription.ts), in a real WAV, MP3 or raw PCM file.
//
// Length: a 20 ms preamble, then one slot per character (Unicode code point) of round(60 ms ÷
// speed), at least 15 ms: 60 ms is about 16 characters a second, a brisk reading pace, and `speed`
// (0.25–4) stretches or shortens it as it would a voice. So "hello" at speed 1 lasts 320 ms.
//
// Tones: a character's slot is split evenly among its UTF-8 bytes; each byte sounds a pilot tone
// plus one tone per set bit, all at the same level. The preamble is the slot length in ms, coded the
// same way, so the decoder knows the layout from the audio alone.
import { Mp3Encoder } from '@breezystack/lamejs';
import { AppError } from '../../../core/errors.js';
import { encodeWav, SPEECH_SAMPLE_RATE } from '../../audio-bytes.js';
import type { SpeechFormat, SpeechRequest, SpeechResult } from '../../media-types.js';

export const DEMO_PREAMBLE_MS = 20;
const BASE_SLOT_MS = 60;
const MIN_SLOT_MS = 15;
export const DEMO_PILOT_HZ = 1_000;
/** Bit i of a byte sounds at 2 000 + i × 1 000 Hz; all below the 12 kHz Nyquist limit of 24 kHz audio. */
export const DEMO_BIT_HZ = [2_000, 3_000, 4_000, 5_000, 6_000, 7_000, 8_000, 9_000] as const;
/** Nine tones at most at once: their sum stays below full scale. */
const TONE_LEVEL = 3_200;
const MP3_KBPS = 64;

export const DEMO_SPEECH_FORMATS: readonly SpeechFormat[] = ['wav', 'mp3', 'pcm'];

const CONTENT_TYPES: Partial<Record<SpeechFormat, string>> = { wav: 'audio/wav', mp3: 'audio/mpeg', pcm: 'audio/pcm' };

export function demoSlotMs(speed: number): number {
  return Math.max(MIN_SLOT_MS, Math.round(BASE_SLOT_MS / speed));
}

/** The demo's length of speaking `input` at `speed`, in ms (see the top of this file). */
export function demoSpeechMs(input: string, speed: number): number {
  return DEMO_PREAMBLE_MS + Array.from(input).length * demoSlotMs(speed);
}

const samplesOf = (ms: number) => (ms * SPEECH_SAMPLE_RATE) / 1000;

/**
 * Every tone is a whole multiple of 1 kHz, so at 24 kHz each byte's sound repeats every 24 samples:
 * one period per byte value, computed once, makes minutes of audio a matter of copying.
 */
const PERIOD = SPEECH_SAMPLE_RATE / 1_000;
const BYTE_PERIODS: Int16Array[] = Array.from({ length: 256 }, (_, byte) => {
  const freqs = [DEMO_PILOT_HZ, ...DEMO_BIT_HZ.filter((_, bit) => (byte >> bit) & 1)];
  return Int16Array.from({ length: PERIOD }, (_, i) => {
    let value = 0;
    for (const f of freqs) value += Math.sin((2 * Math.PI * f * i) / SPEECH_SAMPLE_RATE);
    return Math.round(value * TONE_LEVEL);
  });
});

/** Writes one byte's tones over [start, start + length). */
function writeByte(out: Int16Array, start: number, length: number, byte: number): void {
  const period = BYTE_PERIODS[byte]!;
  for (let i = 0; i < length; i += PERIOD) out.set(length - i >= PERIOD ? period : period.subarray(0, length - i), start + i);
}

/** The byte sub-slots of one character slot: [start, length] per UTF-8 byte, the last taking the remainder. */
export function byteSlots(slotStart: number, slotLength: number, count: number): [number, number][] {
  const each = Math.floor(slotLength / count);
  return Array.from({ length: count }, (_, i) => [slotStart + i * each, i === count - 1 ? slotLength - i * each : each]);
}

/** The tone sequence of `input` as 24 kHz 16-bit samples. */
export function demoSpeechSamples(input: string, speed: number): Int16Array {
  const slotMs = demoSlotMs(speed);
  const slot = samplesOf(slotMs);
  const preamble = samplesOf(DEMO_PREAMBLE_MS);
  const chars = Array.from(input);
  const out = new Int16Array(preamble + chars.length * slot);
  writeByte(out, 0, preamble, slotMs);
  const encoder = new TextEncoder();
  chars.forEach((char, index) => {
    const bytes = encoder.encode(char);
    for (const [i, [start, length]] of byteSlots(preamble + index * slot, slot, bytes.length).entries()) {
      writeByte(out, start, length, bytes[i]!);
    }
  });
  return out;
}

/** Frames per encoder call: lamejs is synchronous, so the event loop gets a turn between batches. */
const MP3_BATCH_SAMPLES = 1_152 * 16;

async function encodeMp3(samples: Int16Array, signal: AbortSignal): Promise<Uint8Array> {
  const encoder = new Mp3Encoder(1, SPEECH_SAMPLE_RATE, MP3_KBPS);
  const parts: Buffer[] = [];
  const keep = (p: Uint8Array | Int8Array) => parts.push(Buffer.from(p.buffer, p.byteOffset, p.byteLength));
  for (let offset = 0; offset < samples.length; offset += MP3_BATCH_SAMPLES) {
    keep(encoder.encodeBuffer(samples.subarray(offset, offset + MP3_BATCH_SAMPLES)));
    await new Promise<void>((resolve) => setImmediate(resolve));
    // Minutes of audio take seconds to encode: a caller who left stops the work.
    signal.throwIfAborted();
  }
  keep(encoder.flush());
  return new Uint8Array(Buffer.concat(parts));
}

export async function demoSpeech(request: SpeechRequest, signal: AbortSignal): Promise<SpeechResult> {
  const contentType = CONTENT_TYPES[request.format];
  if (!contentType) {
    throw new AppError('INVALID_REQUEST', {
      message: 'SPEECH_FORMAT_UNSUPPORTED',
      params: { format: request.format, accepted: DEMO_SPEECH_FORMATS.join(', ') },
      details: { field: 'response_format', accepted: DEMO_SPEECH_FORMATS },
    });
  }
  const samples = demoSpeechSamples(request.input, request.speed);
  const durationMs = demoSpeechMs(request.input, request.speed);
  const bytes =
    request.format === 'wav'
      ? encodeWav(samples, SPEECH_SAMPLE_RATE)
      : request.format === 'mp3'
        ? await encodeMp3(samples, signal)
        : new Uint8Array(Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
  return { bytes, contentType, durationMs };
}
