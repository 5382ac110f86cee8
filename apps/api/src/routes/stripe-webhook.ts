import { handleStripeWebhook, type Platform } from '@maas/api';
import type { FastifyInstance } from 'fastify';
import { sendRestError } from '../surfaces/errors/index.js';

/**
 * `POST /api/v1/webhooks/stripe`: Stripe's events about wallet top-ups. Its signature covers the
 * exact bytes Stripe sent, so this scope keeps the body as text instead of parsing it (the platform
 * parses it once the signature matches). A bad or missing `Stripe-Signature` is a 400; any 2xx
 * tells Stripe to stop retrying, a 5xx makes it retry later.
 */
export async function registerStripeWebhookRoutes(app: FastifyInstance, platform: Platform): Promise<void> {
  await app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    scope.post('/api/v1/webhooks/stripe', async (request, reply) => {
      try {
        const payload = typeof request.body === 'string' ? request.body : '';
        const signature = request.headers['stripe-signature'];
        const result = await handleStripeWebhook(platform, payload, typeof signature === 'string' ? signature : undefined);
        if (result.outcome !== 'ignored' && result.outcome !== 'duplicate') {
          request.log.info({ outcome: result.outcome }, 'stripe webhook');
        }
        return reply.code(200).send(result);
      } catch (error) {
        return sendRestError(reply, error);
      }
    });
  });
}
