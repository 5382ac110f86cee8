import type { Platform } from '@maas/api';
import type { FastifyInstance } from 'fastify';
import { registerImageRoutes } from './images.js';
import { registerAudioRoutes } from './audio.js';
import { registerMediaMultipart } from './media-form.js';

/**
 * The media operations of the OpenAI protocol (issue 14): images and audio, in a /v1 sub-scope that
 * parses multipart bodies (image edits, transcriptions) with the media limits. Each operation's
 * routes live in their own file and are registered here.
 */
export async function registerMediaRoutes(gateway: FastifyInstance, platform: Platform): Promise<void> {
  await gateway.register(async (scope) => {
    await registerMediaMultipart(scope);
    registerImageRoutes(scope, platform);
    registerAudioRoutes(scope, platform);
  });
}
