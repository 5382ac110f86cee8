// The transcription operation (issue 14) on the shared operation path: audio in, text out.
//
// Billing: per_minute of audio, when the model sets it, for the length the provider transcribed
// (else the length the platform measured). The reservation holds the worst case before the call: the
// file's own length when the platform can read it from its headers (WAV, MP3, Ogg, FLAC, ADTS), else
// the longest the file could play at TRANSCRIPTION_FLOOR_BITRATE (8 kbit/s, below any speech codec a
// client would send: 1 byte ≈ 1 ms). A model without a per-minute price bills nothing for the audio
// (its owner's choice). A failed call costs nothing.
import { AppError } from '../core/errors.js';
import type { Platform } from '../core/platform.js';
import type { ModelForCall } from '../models/call-resolver.js';
import { audioDurationMs } from './audio-bytes.js';
import type { CallOutcome } from './engine.js';
import type { TranscriptionRequest, TranscriptionResult } from './media-types.js';
import { type OperationBill, type OperationCallInput, prepareOperationCall, runOperationCall } from './operation-call.js';
import { unitsCost } from './units.js';

export const TRANSCRIPTION_FLOOR_BITRATE = 8_000;

/** The longest the file can play, in ms: measured when its format allows, else bounded by its size. */
export function transcriptionWorstCaseMs(request: TranscriptionRequest): { ms: number; measured: number | null } {
  const measured = audioDurationMs(request.file.bytes, request.file.contentType);
  const bound = Math.ceil((request.file.bytes.length * 8 * 1000) / TRANSCRIPTION_FLOOR_BITRATE);
  return { ms: measured !== null ? Math.ceil(measured) : bound, measured };
}

function transcriptionBill(model: ModelForCall['model'], durationMs: number): OperationBill {
  const { perMinute } = model.pricing.units;
  return perMinute === null ? {} : { units: { unit: 'minute', milliseconds: Math.ceil(durationMs), unitPriceNano: perMinute } };
}

export async function callTranscription(
  platform: Platform,
  input: OperationCallInput,
  request: TranscriptionRequest,
): Promise<{ result: TranscriptionResult; outcome: CallOutcome }> {
  const worst = transcriptionWorstCaseMs(request);
  const prepared = await prepareOperationCall(platform, input, 'transcription', {
    reserve: (model) => {
      const bill = transcriptionBill(model, worst.ms);
      return bill.units ? unitsCost(bill.units) : 0n;
    },
  });
  const { delivered, outcome } = await runOperationCall(platform, prepared, {
    attempt: (adapter, target, ctx) => {
      if (!adapter.transcribe) {
        throw new AppError('SERVICE_UNAVAILABLE', { message: 'MODEL_NO_ROUTE', params: { model: prepared.model.name } });
      }
      return adapter.transcribe(target, { request, upstreamModel: target.upstreamModel }, ctx);
    },
    deliver: (result) => {
      // A provider that reports no length is billed the length the platform measured.
      const durationMs = result.durationMs > 0 ? result.durationMs : (worst.measured ?? 0);
      return Promise.resolve({ ...result, durationMs });
    },
    bill: (_result, result) => transcriptionBill(prepared.model, result.durationMs),
  });
  return { result: delivered, outcome };
}
