import { handleStripeWebhook, type Platform } from '@maas/api';
import type { FastifyInstance } from 'fastify';
import { sendRestError } from '../surfaces/errors/index.js';

/**
 * `POST /api/v1/webhooks/stripe`: Stripe's events about wallet top-ups. Its signature covers the
 * exact bytes Stripe sent: it is checked on the JSON text as received, not on the parsed body. A bad or missing `Stripe-Signature` is a 400; any 2xx
 * tells Stripe to stop retrying, a 5xx makes it retry later.
 */
export async function registerStripeWebhookRoutes(app: FastifyInstance, platform: Platform): Promise<void> {
  app.post('/api/v1/webhooks/stripe', async (request, reply) => {
    try {
      // The host's JSON parser keeps the exact text beside the parsed body (server.ts).
      const signature = request.headers['stripe-signature'];
      const result = await handleStripeWebhook(platform, request.jsonText ?? '', typeof signature === 'string' ? signature : undefined);
      if (result.outcome !== 'ignored' && result.outcome !== 'duplicate') request.log.info({ outcome: result.outcome }, 'stripe webhook');
      return reply.code(200).send(result);
    } catch (error) {
      return sendRestError(reply, error);
    }
  });
}
