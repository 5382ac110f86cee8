// The speech operation (issue 14) on the shared operation path: text in, audio bytes out.
//
// Billing, by the model's unit prices:
// - per_1k_characters, when set: the input's characters (Unicode code points). Known before the call,
//   so the reservation is exact.
// - else per_second: the seconds of audio delivered. The audio does not exist yet when the funds are
//   held, so the reservation assumes the slowest plausible reading: SPEECH_WORST_CASE_MS_PER_CHARACTER
//   per character at speed 1 (4 characters a second, well below any voice; numbers and abbreviations
//   read out longer than they are written), divided by `speed`, plus SPEECH_WORST_CASE_EXTRA_MS.
// - else the input's tokens at the model's input price (token-priced speech models).
// A failed call costs nothing; a delivered one costs what it delivered, even beyond the reservation.
import { AppError } from '../core/errors.js';
import type { Platform } from '../core/platform.js';
import { storeGenerated } from '../files/service.js';
import type { ModelForCall } from '../models/call-resolver.js';
import { type CallOutcome, costOf } from './engine.js';
import type { SpeechRequest, SpeechResult } from './media-types.js';
import { type OperationBill, type OperationCallInput, prepareOperationCall, runOperationCall } from './operation-call.js';
import { countTextTokens } from './token-count.js';
import { unitsCost } from './units.js';

/** OpenAI's own limit on `input`. */
export const SPEECH_MAX_INPUT_CHARACTERS = 4_096;
export const SPEECH_WORST_CASE_MS_PER_CHARACTER = 250;
export const SPEECH_WORST_CASE_EXTRA_MS = 2_000;

export function speechCharacters(input: string): number {
  return Array.from(input).length;
}

/** The longest audio the reservation assumes for this input and speed. */
export function speechWorstCaseMs(request: Pick<SpeechRequest, 'input' | 'speed'>): number {
  return Math.ceil((speechCharacters(request.input) * SPEECH_WORST_CASE_MS_PER_CHARACTER) / request.speed) + SPEECH_WORST_CASE_EXTRA_MS;
}

/** What a speech call of this model bills: see the top of this file. */
function speechBill(model: ModelForCall['model'], request: SpeechRequest, durationMs: number): OperationBill {
  const { per1kCharacters, perSecond } = model.pricing.units;
  if (per1kCharacters !== null)
    return { units: { unit: '1k_characters', characters: speechCharacters(request.input), unitPriceNano: per1kCharacters } };
  if (perSecond !== null) return { units: { unit: 'second', milliseconds: Math.ceil(durationMs), unitPriceNano: perSecond } };
  return { usage: { inputTokens: countTextTokens(request.input) } };
}

function speechReservation(model: ModelForCall['model'], request: SpeechRequest): bigint {
  const bill = speechBill(model, request, speechWorstCaseMs(request));
  return (
    (bill.units ? unitsCost(bill.units) : 0n) +
    costOf(model, { inputTokens: bill.usage?.inputTokens ?? 0, outputTokens: 0, cachedInputTokens: 0 })
  );
}

function checkSpeechRequest(request: SpeechRequest): void {
  const characters = speechCharacters(request.input);
  if (characters === 0 || characters > SPEECH_MAX_INPUT_CHARACTERS) {
    throw new AppError('INVALID_REQUEST', {
      message: 'SPEECH_INPUT_LENGTH',
      params: { max: SPEECH_MAX_INPUT_CHARACTERS },
      details: { field: 'input', max: SPEECH_MAX_INPUT_CHARACTERS },
    });
  }
  if (!(request.speed >= 0.25 && request.speed <= 4)) {
    throw new AppError('INVALID_REQUEST', { message: 'SPEECH_SPEED_RANGE', details: { field: 'speed' } });
  }
}

function mismatch(reason: string): AppError {
  return new AppError('UPSTREAM_ERROR', { message: 'MEDIA_RESULT_MISMATCH', params: { reason } });
}

async function runSpeech<D>(
  platform: Platform,
  input: OperationCallInput,
  request: SpeechRequest,
  deliver: (result: SpeechResult) => Promise<D>,
): Promise<{ delivered: D; result: SpeechResult; outcome: CallOutcome }> {
  checkSpeechRequest(request);
  const prepared = await prepareOperationCall(platform, input, 'speech', { reserve: (model) => speechReservation(model, request) });
  let spoken: SpeechResult | undefined;
  const { delivered, outcome } = await runOperationCall(platform, prepared, {
    attempt: (adapter, target, ctx) => {
      if (!adapter.speak) throw new AppError('SERVICE_UNAVAILABLE', { message: 'MODEL_NO_ROUTE', params: { model: prepared.model.name } });
      return adapter.speak(target, { request, upstreamModel: target.upstreamModel }, ctx);
    },
    deliver: (result) => {
      if (result.bytes.length === 0) return Promise.reject(mismatch('no audio'));
      // Billed by the second, the audio's length must be known (a provider's file the platform could not measure).
      const bill = speechBill(prepared.model, request, result.durationMs);
      if (bill.units?.unit === 'second' && !(result.durationMs > 0)) return Promise.reject(mismatch('audio of unknown length'));
      spoken = result;
      return deliver(result);
    },
    bill: (result) => speechBill(prepared.model, request, result.durationMs),
  });
  return { delivered, result: spoken!, outcome };
}

/** `POST /v1/audio/speech`: the audio bytes, to send to the caller as they are. */
export async function callSpeech(
  platform: Platform,
  input: OperationCallInput,
  request: SpeechRequest,
): Promise<{ result: SpeechResult; outcome: CallOutcome }> {
  const { result, outcome } = await runSpeech(platform, input, request, () => Promise.resolve(undefined));
  return { result, outcome };
}

const EXTENSIONS: Record<string, string> = {
  'audio/wav': 'wav',
  'audio/mpeg': 'mp3',
  'audio/opus': 'opus',
  'audio/ogg': 'ogg',
  'audio/aac': 'aac',
  'audio/flac': 'flac',
  'audio/pcm': 'pcm',
};

export interface SpokenFile {
  /** The stored file (purpose `generated`, owned by the caller, with the usual retention). */
  fileId: string;
  contentType: string;
  bytes: number;
  durationMs: number;
  outcome: CallOutcome;
}

/**
 * Speech as a generated file of the caller, for app chat on a speech model: reserved, spoken, stored,
 * then settled. The file is stored before settlement, so a call whose audio could not be kept costs
 * nothing. `input.actor` owns the file; `input.appId` and `conversationId` go on the usage record.
 * E.g. `speakToFile(platform, { actor, model: 'demo-voice', appId, conversationId, signal, requestId },
 * { input: replyText, voice: 'alloy', format: 'wav', speed: 1 })`.
 */
export async function speakToFile(platform: Platform, input: OperationCallInput, request: SpeechRequest): Promise<SpokenFile> {
  const { delivered, result, outcome } = await runSpeech(platform, input, request, (spoken) =>
    storeGenerated(platform, input.actor.userId, {
      bytes: spoken.bytes,
      contentType: spoken.contentType,
      filename: `speech.${EXTENSIONS[spoken.contentType] ?? 'bin'}`,
      metadata: { duration_ms: spoken.durationMs, voice: request.voice, input: request.input.slice(0, 1_000) },
    }),
  );
  return { fileId: delivered.id, contentType: delivered.content_type, bytes: delivered.bytes, durationMs: result.durationMs, outcome };
}
