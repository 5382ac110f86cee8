import type { Platform } from '@maas/api';
import type { FastifyInstance } from 'fastify';

/** Routes outside the router: streaming chat over SSE, the OpenAI-compatible gateway, metrics. */
export async function registerExtraRoutes(_app: FastifyInstance, _platform: Platform): Promise<void> {}
