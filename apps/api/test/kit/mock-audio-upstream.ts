// A strict OpenAI audio upstream: `POST /v1/audio/speech` (JSON) and `POST /v1/audio/transcriptions`
// (multipart), checked as the real API checks them (Bearer key, path, content type, required
// fields, allowed values, unknown fields refused, a file part that is audio of a type it takes).
// Speech answers a WAV (or raw PCM) of 50 ms per character ÷ speed; a transcription answers
// verbose_json whose duration is read from the WAV it was sent. The model picks the behaviour:
// `tts-ok` / `stt-ok`, `tts-500` / `stt-500`, `tts-garbage` (a 200 that is not audio).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseWav, toneWav } from './wav.js';

export interface AudioUpstreamRequest {
  path: string;
  headers: IncomingMessage['headers'];
  /** The JSON body, or a form's text fields. */
  fields: Record<string, unknown>;
  /** A form's file parts. */
  files: { field: string; type: string; bytes: number; filename: string }[];
}

const SPEECH_FIELDS = new Set(['model', 'input', 'voice', 'response_format', 'speed', 'instructions', 'stream_format']);
const VOICES = new Set(['alloy', 'ash', 'ballad', 'coral', 'echo', 'fable', 'onyx', 'nova', 'sage', 'shimmer', 'verse']);
const SPEECH_FORMATS = new Set(['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm']);
const TRANSCRIPTION_FIELDS = new Set([
  'model',
  'language',
  'prompt',
  'response_format',
  'temperature',
  'timestamp_granularities[]',
  'stream',
]);
const TRANSCRIPTION_FORMATS = new Set(['json', 'text', 'srt', 'verbose_json', 'vtt']);
const AUDIO_TYPES = new Set(['audio/wav', 'audio/x-wav', 'audio/mpeg', 'audio/mp4', 'audio/ogg', 'audio/flac', 'audio/webm', 'audio/m4a']);
/** The mock speaks 50 ms per character at speed 1. */
export const MOCK_SPEECH_MS_PER_CHARACTER = 50;

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function check(condition: unknown, message: string, status = 400): asserts condition {
  if (!condition) throw new Refusal(status, message);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function speechAnswer(fields: Record<string, unknown>): { type: string; body: Buffer } {
  for (const name of Object.keys(fields)) check(SPEECH_FIELDS.has(name), `Unrecognized request argument supplied: ${name}`);
  check(typeof fields.model === 'string' && fields.model.length > 0, 'model is required');
  check(typeof fields.input === 'string' && fields.input.length > 0 && fields.input.length <= 4_096, 'input must be 1 to 4096 characters');
  check(typeof fields.voice === 'string' && VOICES.has(fields.voice), `invalid voice ${String(fields.voice)}`);
  const format = fields.response_format ?? 'mp3';
  check(typeof format === 'string' && SPEECH_FORMATS.has(format), `invalid response_format ${JSON.stringify(format)}`);
  const speed = fields.speed ?? 1;
  check(typeof speed === 'number' && speed >= 0.25 && speed <= 4, 'speed must be from 0.25 to 4');
  if (fields.model === 'tts-500') throw new Refusal(500, 'The server had an error while processing your request');
  if (fields.model === 'tts-garbage') return { type: 'audio/wav', body: Buffer.from('this is not audio at all') };
  check(format === 'wav' || format === 'pcm', 'this mock speaks wav and pcm only');
  const wav = toneWav((fields.input.length * MOCK_SPEECH_MS_PER_CHARACTER) / speed, 24_000);
  return format === 'wav' ? { type: 'audio/wav', body: wav } : { type: 'audio/pcm', body: wav.subarray(44) };
}

export async function startAudioUpstream(apiKey = 'sk-audio-secret') {
  const requests: AudioUpstreamRequest[] = [];
  const refusals: string[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse) {
    check(req.method === 'POST', 'method not allowed', 405);
    check(req.url === '/v1/audio/speech' || req.url === '/v1/audio/transcriptions', `unknown path ${req.url}`, 404);
    check(req.headers.authorization === `Bearer ${apiKey}`, 'Incorrect API key provided', 401);
    const body = await readBody(req);
    const contentType = req.headers['content-type'] ?? '';
    const record: AudioUpstreamRequest = { path: req.url, headers: req.headers, fields: {}, files: [] };
    if (req.url === '/v1/audio/speech') {
      check(contentType.startsWith('application/json'), 'expected a JSON body');
      const json: unknown = JSON.parse(body.toString('utf8'));
      check(typeof json === 'object' && json !== null && !Array.isArray(json), 'body must be an object');
      record.fields = json as Record<string, unknown>;
      requests.push(record);
      const answer = speechAnswer(record.fields);
      res.writeHead(200, { 'content-type': answer.type });
      res.end(answer.body);
      return;
    }
    check(/^multipart\/form-data; ?boundary=/.test(contentType), 'expected multipart/form-data with a boundary');
    const form = await new Request('http://upstream/', { method: 'POST', headers: { 'content-type': contentType }, body }).formData();
    let audio: Buffer | undefined;
    for (const [name, value] of form.entries()) {
      if (typeof value === 'string') {
        check(TRANSCRIPTION_FIELDS.has(name), `Unrecognized request argument supplied: ${name}`);
        record.fields[name] = value;
        continue;
      }
      check(name === 'file' && audio === undefined, `unexpected file part ${name}`);
      record.files.push({ field: name, type: value.type, bytes: value.size, filename: value.name });
      check(AUDIO_TYPES.has(value.type), `Invalid file format ${value.type}`);
      audio = Buffer.from(await value.arrayBuffer());
    }
    requests.push(record);
    check(audio !== undefined, 'file is required');
    check(typeof record.fields.model === 'string' && record.fields.model.length > 0, 'model is required');
    const format = record.fields.response_format ?? 'json';
    check(typeof format === 'string' && TRANSCRIPTION_FORMATS.has(format), `invalid response_format ${JSON.stringify(format)}`);
    if (record.fields.temperature !== undefined) {
      const t = Number(record.fields.temperature);
      check(t >= 0 && t <= 1, 'temperature must be from 0 to 1');
    }
    if (record.fields.model === 'stt-500') throw new Refusal(500, 'The server had an error while processing your request');
    check(format === 'verbose_json', 'this mock answers verbose_json only');
    let wav;
    try {
      wav = parseWav(audio);
    } catch (error) {
      throw new Refusal(400, `Audio file might be corrupted or unsupported: ${(error as Error).message}`);
    }
    const duration = wav.durationMs / 1000;
    const text = `mock transcript of ${audio.length} bytes`;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        task: 'transcribe',
        language: record.fields.language === 'de' ? 'german' : 'english',
        duration,
        text,
        segments: [
          {
            id: 0,
            seek: 0,
            start: 0,
            end: duration / 2,
            text: ' mock transcript',
            tokens: [1, 2],
            temperature: 0,
            avg_logprob: -0.1,
            compression_ratio: 1,
            no_speech_prob: 0,
          },
          {
            id: 1,
            seek: 0,
            start: duration / 2,
            end: duration,
            text: ` of ${audio.length} bytes`,
            tokens: [3],
            temperature: 0,
            avg_logprob: -0.1,
            compression_ratio: 1,
            no_speech_prob: 0,
          },
        ],
      }),
    );
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof Refusal ? error.status : 400;
      const message = error instanceof Error ? error.message : String(error);
      if (status < 500) refusals.push(message);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message, type: status >= 500 ? 'server_error' : 'invalid_request_error', code: null } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    apiKey,
    requests,
    refusals,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
