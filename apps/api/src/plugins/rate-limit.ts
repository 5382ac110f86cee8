import { AppError, authenticateRequest, type Platform, rateLimitHeaders } from '@maas/api';
import type { FastifyInstance } from 'fastify';
import { contextFromRequest, credentialOf } from '../request-context.js';

// /mcp: the marketplace's MCP endpoint (issue 16 part 5), limited like the /v1 gateway.
const LIMITED_PREFIXES = ['/api/v1', '/trpc', '/v1/', '/mcp'];

/**
 * The request tiers of the contract: per user or API key when the request authenticates, per
 * client IP otherwise. The actor resolved here is kept on the context, so the route does not
 * authenticate twice.
 */
export function registerRateLimits(app: FastifyInstance, platform: Platform, onLimited: (tier: string) => void = () => {}): void {
  const { authenticated, anonymous } = platform.rateLimits;
  if (!authenticated && !anonymous) return;

  app.addHook('onRequest', async (request, reply) => {
    if (!LIMITED_PREFIXES.some((prefix) => request.url.startsWith(prefix))) return;
    let key: string;
    let limiter = anonymous;
    const ctx = contextFromRequest(platform, request, reply);
    if (credentialOf(request)) {
      try {
        const actor = await authenticateRequest(ctx);
        ctx.actor = actor;
        limiter = authenticated;
        key = actor.apiKeyId ? `key:${actor.apiKeyId}` : `user:${actor.userId}`;
      } catch {
        // An invalid credential is limited like an anonymous client; the route answers 401.
        key = `ip:${request.ip}`;
      }
    } else {
      key = `ip:${request.ip}`;
    }
    if (!limiter) return;
    const decision = await limiter.consume(key);
    void reply.headers(rateLimitHeaders(decision));
    if (!decision.allowed) {
      onLimited(limiter === authenticated ? 'authenticated' : 'anonymous');
      // Thrown, not sent: the error handler of the route's own surface renders it (the envelope on
      // /api/v1 and /trpc, OpenAI's shape on the /v1 gateway).
      throw new AppError('RATE_LIMITED', { headers: rateLimitHeaders(decision) });
    }
  });
}
