import {
  type Actor,
  AppError,
  callSpeech,
  callTranscription,
  type MediaInput,
  type Platform,
  type SpeechFormat,
  type SpeechRequest,
  type SpeechResult,
  type TranscriptionRequest,
  type TranscriptionResult,
} from '@maas/api';

// /v1/audio/speech and /v1/audio/transcriptions ⇄ the inference layer (issue 14): OpenAI's request
// shapes validated into the internal ones, and a transcription answered in the format asked for
// (json, text, srt, vtt, verbose_json), made here from the provider's text and segments.

interface AudioCall {
  actor: Actor;
  signal: AbortSignal;
  requestId: string;
}

function invalid(field: string, reason: string): AppError {
  return new AppError('INVALID_REQUEST', { message: 'AUDIO_REQUEST_INVALID', params: { field, reason }, details: { field } });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const SPEECH_FORMATS: readonly SpeechFormat[] = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'];
const SPEECH_FIELDS = new Set(['model', 'input', 'voice', 'response_format', 'speed', 'instructions', 'stream_format']);

/** Narrows a value to one of `options` without a cast. */
function oneOf<T extends string>(options: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (options as readonly string[]).includes(value);
}

function modelOf(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 200) throw invalid('model', 'must be a model name');
  return value;
}

/** A `/v1/audio/speech` body, refused field by field as OpenAI refuses it (unknown fields included). */
export function parseSpeechBody(body: unknown): { model: string; request: SpeechRequest } {
  if (!isRecord(body)) throw invalid('body', 'must be a JSON object');
  const unknown = Object.keys(body).find((key) => !SPEECH_FIELDS.has(key));
  if (unknown !== undefined) throw invalid(unknown, 'is not a parameter of this endpoint');
  const model = modelOf(body.model);
  if (typeof body.input !== 'string') throw invalid('input', 'must be a string');
  const voice = isRecord(body.voice) ? body.voice.id : body.voice;
  if (typeof voice !== 'string' || voice.length === 0 || voice.length > 100) throw invalid('voice', 'must be a voice name');
  const format = body.response_format ?? 'mp3';
  if (!oneOf(SPEECH_FORMATS, format)) throw invalid('response_format', `must be one of ${SPEECH_FORMATS.join(', ')}`);
  const speed = body.speed ?? 1;
  if (typeof speed !== 'number' || !(speed >= 0.25 && speed <= 4)) throw invalid('speed', 'must be a number from 0.25 to 4');
  if (body.stream_format !== undefined && body.stream_format !== 'audio') throw invalid('stream_format', "only 'audio' is supported");
  const request: SpeechRequest = { input: body.input, voice, format, speed };
  if (body.instructions !== undefined) {
    if (typeof body.instructions !== 'string' || body.instructions.length > 4_096)
      throw invalid('instructions', 'must be a string of at most 4096 characters');
    request.instructions = body.instructions;
  }
  return { model, request };
}

export async function speech(platform: Platform, call: AudioCall & { body: unknown }): Promise<SpeechResult> {
  const { model, request } = parseSpeechBody(call.body);
  const { result } = await callSpeech(platform, { actor: call.actor, model, signal: call.signal, requestId: call.requestId }, request);
  return result;
}

export type TranscriptionFormat = 'json' | 'text' | 'srt' | 'vtt' | 'verbose_json';
const TRANSCRIPTION_FORMATS: readonly TranscriptionFormat[] = ['json', 'text', 'srt', 'vtt', 'verbose_json'];

/** The form fields of `/v1/audio/transcriptions` (its file is read by the route). */
export function parseTranscriptionFields(fields: Record<string, string>): {
  model: string;
  format: TranscriptionFormat;
  options: Omit<TranscriptionRequest, 'file'>;
} {
  const model = modelOf(fields.model);
  const format = fields.response_format ?? 'json';
  if (!oneOf(TRANSCRIPTION_FORMATS, format)) throw invalid('response_format', `must be one of ${TRANSCRIPTION_FORMATS.join(', ')}`);
  if (fields.stream !== undefined && fields.stream !== 'false') throw invalid('stream', 'streamed transcriptions are not supported');
  const options: Omit<TranscriptionRequest, 'file'> = {};
  if (fields.language !== undefined) {
    if (!/^[A-Za-z-]{2,16}$/.test(fields.language)) throw invalid('language', 'must be an ISO-639-1 code such as en');
    options.language = fields.language;
  }
  if (fields.prompt !== undefined) options.prompt = fields.prompt;
  if (fields.temperature !== undefined) {
    const temperature = Number(fields.temperature);
    if (fields.temperature.trim() === '' || !(temperature >= 0 && temperature <= 1))
      throw invalid('temperature', 'must be a number from 0 to 1');
    options.temperature = temperature;
  }
  return { model, format, options };
}

/** `HH:MM:SS,mmm` (SubRip) or `HH:MM:SS.mmm` (WebVTT). */
function timestamp(seconds: number, separator: ',' | '.'): string {
  const ms = Math.round(seconds * 1000);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}${separator}${pad(ms % 1000, 3)}`;
}

/** The segments, or one spanning the whole audio when the provider gave none. */
function segmentsOf(result: TranscriptionResult) {
  return result.segments.length > 0 ? result.segments : [{ id: 0, start: 0, end: result.durationMs / 1000, text: result.text }];
}

/** The answer in the format asked for: a JSON object, or text with its content type. */
export function transcriptionAnswer(
  result: TranscriptionResult,
  format: TranscriptionFormat,
): { contentType: string; body: string | Record<string, unknown> } {
  const seconds = result.durationMs / 1000;
  const usage = { type: 'duration', seconds: Math.ceil(seconds) };
  switch (format) {
    case 'json':
      return { contentType: 'application/json', body: { text: result.text, usage } };
    case 'text':
      return { contentType: 'text/plain; charset=utf-8', body: `${result.text}\n` };
    case 'srt':
      return {
        contentType: 'text/plain; charset=utf-8',
        body: segmentsOf(result)
          .map((s, i) => `${i + 1}\n${timestamp(s.start, ',')} --> ${timestamp(s.end, ',')}\n${s.text.trim()}\n\n`)
          .join(''),
      };
    case 'vtt':
      return {
        contentType: 'text/vtt; charset=utf-8',
        body: `WEBVTT\n\n${segmentsOf(result)
          .map((s) => `${timestamp(s.start, '.')} --> ${timestamp(s.end, '.')}\n${s.text.trim()}\n\n`)
          .join('')}`,
      };
    case 'verbose_json':
      return {
        contentType: 'application/json',
        body: {
          task: 'transcribe',
          language: result.language ?? 'english',
          duration: seconds,
          text: result.text,
          segments: result.segments.map((s) => ({
            id: s.id,
            seek: 0,
            start: s.start,
            end: s.end,
            text: s.text,
            tokens: [],
            temperature: 0,
            avg_logprob: 0,
            compression_ratio: 1,
            no_speech_prob: 0,
          })),
          usage,
        },
      };
  }
}

export async function transcription(
  platform: Platform,
  call: AudioCall & { fields: Record<string, string>; file: MediaInput },
): Promise<{ contentType: string; body: string | Record<string, unknown> }> {
  const { model, format, options } = parseTranscriptionFields(call.fields);
  const { result } = await callTranscription(
    platform,
    { actor: call.actor, model, signal: call.signal, requestId: call.requestId },
    { ...options, file: call.file },
  );
  return transcriptionAnswer(result, format);
}
