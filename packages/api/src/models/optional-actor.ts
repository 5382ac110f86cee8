import { authenticateRequest } from '../auth/authenticate.js';
import type { Actor, RequestContext } from '../core/context.js';

/**
 * The caller of a public endpoint: anonymous (null) without an Authorization header; with one, it
 * must be valid (a bad token is a 401, not a silent downgrade to anonymous).
 */
export async function optionalActor(ctx: Pick<RequestContext, 'platform' | 'authorization' | 'actor'>): Promise<Actor | null> {
  if (!ctx.authorization) return null;
  return ctx.actor ?? (await authenticateRequest(ctx));
}
