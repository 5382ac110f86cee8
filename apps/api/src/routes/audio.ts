import { Readable } from 'node:stream';
import type { Platform } from '@maas/api';
import type { FastifyInstance } from 'fastify';
import { sendOpenAiError } from '../surfaces/errors/index.js';
import { speech, transcription } from '../surfaces/openai-audio.js';
import { callerOf } from './caller.js';
import { readMediaForm } from './media-form.js';

/** OpenAI's own limit on a file to transcribe. */
const TRANSCRIPTION_MAX_BYTES = 25 * 1_048_576;
/** The formats OpenAI transcribes (flac, mp3, mp4, mpeg, mpga, m4a, ogg, wav, webm), by their MIME types. */
const TRANSCRIPTION_TYPES = [
  'audio/wav',
  'audio/mpeg',
  'audio/mpga',
  'audio/mp4',
  'audio/m4a',
  'audio/x-m4a',
  'audio/aac',
  'audio/ogg',
  'audio/opus',
  'audio/flac',
  'audio/x-flac',
  'audio/webm',
  'video/mp4',
  'video/webm',
] as const;
/** Audio goes out in pieces of this size: the client can start playing before the last byte is sent. */
const SPEECH_CHUNK_BYTES = 16_384;

function* chunks(bytes: Uint8Array): Generator<Buffer> {
  for (let offset = 0; offset < bytes.length; offset += SPEECH_CHUNK_BYTES) {
    yield Buffer.from(bytes.buffer, bytes.byteOffset + offset, Math.min(SPEECH_CHUNK_BYTES, bytes.length - offset));
  }
}

/** `POST /v1/audio/speech` (JSON in, audio streamed out) and `POST /v1/audio/transcriptions` (multipart), in the media scope. */
export function registerAudioRoutes(scope: FastifyInstance, platform: Platform): void {
  scope.post('/audio/speech', { helmet: false }, async (request, reply) => {
    void reply.header('x-content-type-options', 'nosniff');
    try {
      const { ctx, actor } = await callerOf(platform, request, reply);
      const result = await speech(platform, { actor, body: request.body, signal: ctx.clientSignal(), requestId: request.id });
      // No Content-Length: the body goes out chunked, as OpenAI streams it.
      return await reply.type(result.contentType).send(Readable.from(chunks(result.bytes), { objectMode: false }));
    } catch (error) {
      if (reply.sent) return reply;
      return sendOpenAiError(reply, error);
    }
  });

  scope.post('/audio/transcriptions', { helmet: false }, async (request, reply) => {
    void reply.header('x-content-type-options', 'nosniff');
    try {
      const { ctx, actor } = await callerOf(platform, request, reply);
      const form = await readMediaForm(platform, request, {
        files: { file: { maxBytes: TRANSCRIPTION_MAX_BYTES, contentTypes: TRANSCRIPTION_TYPES, required: true } },
      });
      const answer = await transcription(platform, {
        actor,
        fields: form.fields,
        file: form.files.file![0]!,
        signal: ctx.clientSignal(),
        requestId: request.id,
      });
      return await reply.type(answer.contentType).send(answer.body);
    } catch (error) {
      return sendOpenAiError(reply, error);
    }
  });
}
