import { authenticateRequest, type Actor, type Platform, type RequestContext } from '@maas/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { contextFromRequest } from '../request-context.js';

/**
 * The caller of a model-call route, as the rate-limit hook already resolved it: authentication runs
 * once per request, and only a route the hook did not limit (a tier turned off) authenticates here.
 */
export async function callerOf(
  platform: Platform,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<{ ctx: RequestContext; actor: Actor }> {
  const ctx = contextFromRequest(platform, request, reply);
  const actor = (ctx.actor ??= await authenticateRequest(ctx));
  return { ctx, actor };
}
