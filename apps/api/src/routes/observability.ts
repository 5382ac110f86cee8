import type { Platform } from '@maas/api';
import type { FastifyInstance } from 'fastify';

export async function registerObservabilityRoutes(_app: FastifyInstance, _platform: Platform): Promise<void> {}
