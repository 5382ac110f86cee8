// Offline, deterministic transcription for the demo provider. Audio the demo spoke (a 24 kHz 16-bit
// WAV of its tone sequence, see speech.ts) is decoded back to its text with the Goertzel algorithm,
// one tone at a time; any other WAV or MP3 gets a few words chosen by the audio's SHA-256. Either
// way the duration is the file's own, read from its header (WAV) or frames (MP3).
import { createHash } from 'node:crypto';
import { AppError } from '../../../core/errors.js';
import { audioDurationMs, readWav, SPEECH_SAMPLE_RATE, wavMonoSamples } from '../../audio-bytes.js';
import type { TranscriptionRequest, TranscriptionResult, TranscriptionSegment } from '../../media-types.js';
import { byteSlots, DEMO_BIT_HZ, DEMO_PILOT_HZ, DEMO_PREAMBLE_MS } from './speech.js';

const DEMO_TRANSCRIPTION_TYPES = ['audio/wav', 'audio/mpeg'];

/** Hann windows by length (a decode uses a handful of lengths), against leakage from the other tones. */
type Windows = Map<number, Float32Array>;

function windowed(samples: Float32Array, start: number, length: number, windows: Windows): Float32Array {
  let window = windows.get(length);
  if (!window) {
    window = Float32Array.from({ length }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (length - 1)));
    windows.set(length, window);
  }
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = samples[start + i]! * window[i]!;
  return out;
}

/** Power of one frequency in a (windowed) block: the Goertzel algorithm. */
function goertzel(block: Float32Array, hz: number): number {
  const coefficient = 2 * Math.cos((2 * Math.PI * hz) / SPEECH_SAMPLE_RATE);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < block.length; i++) {
    const s0 = block[i]! + coefficient * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coefficient * s1 * s2;
}

/** 20 ms resolve tones 1 kHz apart many times over; a longer sub-slot is read over its first 20 ms only. */
const MAX_ANALYSIS_SAMPLES = 480;

/** The byte sounded over a window, or null when there is no pilot tone (not the demo's audio). */
function readByte(samples: Float32Array, start: number, slotLength: number, windows: Windows): number | null {
  const length = Math.min(slotLength, MAX_ANALYSIS_SAMPLES);
  const block = windowed(samples, start, length, windows);
  const pilot = goertzel(block, DEMO_PILOT_HZ);
  // A pilot at the demo's level in a Hann window of this length has power ≈ (A·N/4)²; require a tenth of it.
  const expected = ((0.098 * length) / 4) ** 2;
  if (pilot < expected / 10) return null;
  let byte = 0;
  DEMO_BIT_HZ.forEach((hz, bit) => {
    // Every tone is sounded at the pilot's level: a bit is set when its power is near the pilot's.
    if (goertzel(block, hz) > pilot / 4) byte |= 1 << bit;
  });
  return byte;
}

function utf8Length(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xf0) return 4;
  if (lead >= 0xe0) return 3;
  return 2;
}

/** The text of a WAV the demo spoke, or null when the audio is not its tone sequence. */
export function decodeDemoSpeech(samples: Float32Array): { text: string; slotMs: number } | null {
  const perMs = SPEECH_SAMPLE_RATE / 1000;
  const preamble = DEMO_PREAMBLE_MS * perMs;
  if (samples.length < preamble) return null;
  const windows: Windows = new Map();
  const slotMs = readByte(samples, 0, preamble, windows);
  if (slotMs === null || slotMs < 15) return null;
  const slot = slotMs * perMs;
  if ((samples.length - preamble) % slot !== 0) return null;
  const bytes: number[] = [];
  for (let start = preamble; start < samples.length; start += slot) {
    // The lead byte says how many bytes share the slot; a quarter slot lies within its sub-slot whatever that count.
    const lead = readByte(samples, start, Math.floor(slot / 4), windows);
    if (lead === null) return null;
    for (const [from, length] of byteSlots(start, slot, utf8Length(lead))) {
      const byte = readByte(samples, from, length, windows);
      if (byte === null) return null;
      bytes.push(byte);
    }
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes)), slotMs };
  } catch {
    return null;
  }
}

const WORDS = [
  'amber',
  'river',
  'quiet',
  'signal',
  'harbor',
  'morning',
  'paper',
  'lantern',
  'orbit',
  'meadow',
  'copper',
  'echo',
  'violet',
  'summit',
  'thread',
  'window',
];

/** A few words picked by the audio's hash: the same file always reads the same. */
function hashedText(bytes: Uint8Array): string {
  const digest = createHash('sha256').update(bytes).digest();
  const words = Array.from(digest.subarray(0, 6), (b) => WORDS[b % WORDS.length]!);
  return `Demo transcript ${digest.toString('hex').slice(0, 8)}: ${words.join(' ')}.`;
}

/** Sentences of the decoded text, timed by the character slots they cover. */
function segmentsOf(text: string, slotMs: number): TranscriptionSegment[] {
  const segments: TranscriptionSegment[] = [];
  const chars = Array.from(text);
  let from = 0;
  for (let i = 0; i < chars.length; i++) {
    if (i === chars.length - 1 || /[.!?。！？\n]/.test(chars[i]!)) {
      const piece = chars.slice(from, i + 1).join('');
      if (piece.trim() !== '') {
        segments.push({
          id: segments.length,
          start: (DEMO_PREAMBLE_MS + from * slotMs) / 1000,
          end: (DEMO_PREAMBLE_MS + (i + 1) * slotMs) / 1000,
          text: piece.trim(),
        });
      }
      from = i + 1;
    }
  }
  return segments;
}

export function demoTranscription(request: TranscriptionRequest): TranscriptionResult {
  const { file } = request;
  const durationMs = DEMO_TRANSCRIPTION_TYPES.includes(file.contentType) ? audioDurationMs(file.bytes, file.contentType) : null;
  if (durationMs === null) {
    throw new AppError('INVALID_REQUEST', {
      message: 'TRANSCRIPTION_AUDIO_UNREADABLE',
      params: { type: file.contentType, accepted: 'WAV, MP3' },
      details: { field: 'file', content_type: file.contentType },
    });
  }
  const wav = file.contentType === 'audio/wav' ? readWav(file.bytes) : null;
  const samples = wav && wav.sampleRate === SPEECH_SAMPLE_RATE && wav.channels === 1 ? wavMonoSamples(file.bytes, wav) : null;
  const decoded = samples ? decodeDemoSpeech(samples) : null;
  const language = request.language ?? 'english';
  if (decoded) return { text: decoded.text, language, durationMs, segments: segmentsOf(decoded.text, decoded.slotMs) };
  const text = hashedText(file.bytes);
  return { text, language, durationMs, segments: [{ id: 0, start: 0, end: durationMs / 1000, text }] };
}
