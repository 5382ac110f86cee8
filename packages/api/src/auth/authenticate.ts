import { authenticateApiKey, isApiKeyToken } from '../api-keys/authenticate.js';
import type { Actor, RequestContext } from '../core/context.js';
import { AppError } from '../core/errors.js';
import { verifyAccessToken } from './tokens.js';

function bearerToken(authorization: string | undefined): string | null {
  if (!authorization) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match?.[1] ?? null;
}

/** Resolves the caller from the Authorization header: an access token (JWT) or an `sk-…` key. */
export async function authenticateRequest(ctx: Pick<RequestContext, 'platform' | 'authorization'>): Promise<Actor> {
  const token = bearerToken(ctx.authorization);
  if (!token) throw new AppError('UNAUTHORIZED');
  if (isApiKeyToken(token)) return authenticateApiKey(ctx.platform, token);

  const claims = verifyAccessToken(ctx.platform.jwtKey, token);
  if (!claims) throw new AppError('UNAUTHORIZED', { message: 'TOKEN_INVALID' });
  const session = await ctx.platform.sessions.lookup(claims.sessionId);
  if (!session || session.userId !== claims.userId) throw new AppError('UNAUTHORIZED', { message: 'SESSION_REVOKED' });
  // The role is read from the session cache, not the token, so a demotion takes effect promptly.
  return { userId: session.userId, role: session.role, sessionId: claims.sessionId, apiKeyId: null };
}
