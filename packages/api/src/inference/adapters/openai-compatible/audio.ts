// OpenAI `/audio/speech` (JSON in, audio bytes out) and `/audio/transcriptions` (multipart in, JSON
// out) ⇄ the internal audio calls. The speech answer carries no length, so it is measured from the
// bytes (WAV, MP3, PCM, Ogg Opus, FLAC, ADTS AAC); a transcription is always asked for as `verbose_json`, whose `duration` is what is billed
// and whose segments let the surface answer any format (text, srt, vtt) itself.
import type { AdapterContext, ProviderTarget } from '../../adapter.js';
import { audioDurationMs } from '../../audio-bytes.js';
import type {
  AdapterMediaCall,
  SpeechRequest,
  SpeechResult,
  TranscriptionRequest,
  TranscriptionResult,
  TranscriptionSegment,
} from '../../media-types.js';
import { protocolError } from '../../transport/index.js';

/** Where the adapter's endpoint lives: its chat URL (siblings are derived from it) and JSON headers. */
export interface AudioEndpoint {
  url: string;
  jsonHeaders: Record<string, string>;
}

function siblingUrl(endpoint: AudioEndpoint, path: string): string {
  const url = new URL(endpoint.url);
  url.pathname = url.pathname.replace(/\/chat\/completions$/, path);
  return url.toString();
}

const CONTENT_TYPES: Record<string, string> = {
  wav: 'audio/wav',
  mp3: 'audio/mpeg',
  opus: 'audio/opus',
  aac: 'audio/aac',
  flac: 'audio/flac',
  pcm: 'audio/pcm',
};

export function openAiSpeechBody(call: AdapterMediaCall<SpeechRequest>): Record<string, unknown> {
  const { request } = call;
  const body: Record<string, unknown> = {
    model: call.upstreamModel,
    input: request.input,
    voice: request.voice,
    response_format: request.format,
    speed: request.speed,
  };
  if (request.instructions !== undefined) body.instructions = request.instructions;
  return body;
}

export async function openAiSpeak(
  endpoint: AudioEndpoint,
  target: ProviderTarget,
  call: AdapterMediaCall<SpeechRequest>,
  context: AdapterContext,
): Promise<SpeechResult> {
  const res = await context.transport.request(target, {
    url: siblingUrl(endpoint, '/audio/speech'),
    headers: { ...endpoint.jsonHeaders, accept: '*/*' },
    body: JSON.stringify(openAiSpeechBody(call)),
    signal: context.signal,
  });
  const bytes = new Uint8Array(res.body.buffer, res.body.byteOffset, res.body.byteLength);
  if (bytes.length === 0) throw protocolError(target, 'speech answer has no audio', true);
  // 0 when the platform cannot read this file's length: a call billed per second then fails (and costs nothing).
  const durationMs = audioDurationMs(bytes, call.request.format) ?? 0;
  return { bytes, contentType: CONTENT_TYPES[call.request.format] ?? 'application/octet-stream', durationMs };
}

/** The transcription form, encoded by the standard FormData (so the boundary and part headers are the platform's own). */
export async function openAiTranscriptionForm(
  call: AdapterMediaCall<TranscriptionRequest>,
): Promise<{ body: Uint8Array; contentType: string }> {
  const { request } = call;
  const form = new FormData();
  form.append('model', call.upstreamModel);
  form.append('response_format', 'verbose_json');
  if (request.language !== undefined) form.append('language', request.language);
  if (request.prompt !== undefined) form.append('prompt', request.prompt);
  if (request.temperature !== undefined) form.append('temperature', String(request.temperature));
  form.append('file', new Blob([new Uint8Array(request.file.bytes)], { type: request.file.contentType }), request.file.filename);
  const encoded = new Response(form);
  const contentType = encoded.headers.get('content-type') ?? 'multipart/form-data';
  return { body: new Uint8Array(await encoded.arrayBuffer()), contentType };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A `verbose_json` (or plain `json`) transcription, or null when the body is not one. */
export function transcriptionFromOpenAi(json: unknown): TranscriptionResult | null {
  if (!isRecord(json) || typeof json.text !== 'string') return null;
  const segments: TranscriptionSegment[] = [];
  if (Array.isArray(json.segments)) {
    for (const [index, item] of json.segments.entries()) {
      if (!isRecord(item) || typeof item.start !== 'number' || typeof item.end !== 'number' || typeof item.text !== 'string') return null;
      segments.push({ id: typeof item.id === 'number' ? item.id : index, start: item.start, end: item.end, text: item.text });
    }
  }
  // verbose_json has `duration` in seconds; newer models report it as usage {type: 'duration', seconds}.
  const usage = isRecord(json.usage) ? json.usage : null;
  const seconds = typeof json.duration === 'number' ? json.duration : usage && typeof usage.seconds === 'number' ? usage.seconds : 0;
  return { text: json.text, language: typeof json.language === 'string' ? json.language : null, durationMs: seconds * 1000, segments };
}

export async function openAiTranscribe(
  endpoint: AudioEndpoint,
  target: ProviderTarget,
  call: AdapterMediaCall<TranscriptionRequest>,
  context: AdapterContext,
): Promise<TranscriptionResult> {
  const { body, contentType } = await openAiTranscriptionForm(call);
  const { 'content-type': _json, ...headers } = endpoint.jsonHeaders;
  const res = await context.transport.request(target, {
    url: siblingUrl(endpoint, '/audio/transcriptions'),
    headers: { ...headers, 'content-type': contentType },
    body,
    signal: context.signal,
  });
  let json: unknown;
  try {
    json = JSON.parse(res.body.toString('utf8'));
  } catch {
    throw protocolError(target, 'transcription body is not valid JSON', true);
  }
  const result = transcriptionFromOpenAi(json);
  if (!result) throw protocolError(target, 'response is not a transcription', true);
  return result;
}
