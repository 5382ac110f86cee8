import type { Platform } from '@maas/api';
import type { FastifyInstance } from 'fastify';
import { sendOpenAiError } from '../surfaces/errors/index.js';
import { imageEdits, imageGenerations } from '../surfaces/openai-images.js';
import { callerOf } from './caller.js';
import { readMediaForm } from './media-form.js';

/** What an edit takes: OpenAI's own limits (up to 16 images of up to 50 MB for gpt-image-1; a PNG mask). */
const EDIT_IMAGE_MAX_BYTES = 25 * 1_048_576;
const EDIT_IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;
const MASK_MAX_BYTES = 4 * 1_048_576;

/** `POST /v1/images/generations` (JSON) and `POST /v1/images/edits` (multipart), in the media scope. */
export function registerImageRoutes(scope: FastifyInstance, platform: Platform): void {
  scope.post('/images/generations', { helmet: false }, async (request, reply) => {
    void reply.header('x-content-type-options', 'nosniff');
    try {
      const { ctx, actor } = await callerOf(platform, request, reply);
      return await imageGenerations(platform, { actor, body: request.body, signal: ctx.clientSignal(), requestId: request.id });
    } catch (error) {
      return sendOpenAiError(reply, error);
    }
  });

  scope.post('/images/edits', { helmet: false }, async (request, reply) => {
    void reply.header('x-content-type-options', 'nosniff');
    try {
      const { ctx, actor } = await callerOf(platform, request, reply);
      const form = await readMediaForm(platform, request, {
        files: {
          image: { maxBytes: EDIT_IMAGE_MAX_BYTES, contentTypes: EDIT_IMAGE_TYPES, required: true, max: 4 },
          mask: { maxBytes: MASK_MAX_BYTES, contentTypes: ['image/png'], required: false },
        },
      });
      return await imageEdits(platform, {
        actor,
        fields: form.fields,
        images: form.files.image ?? [],
        mask: form.files.mask?.[0] ?? null,
        signal: ctx.clientSignal(),
        requestId: request.id,
      });
    } catch (error) {
      return sendOpenAiError(reply, error);
    }
  });
}
