import { createHash } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { UserRole } from '@maas/db';
import { randomSecret } from '../core/ids.js';

const ISSUER = 'maas-platform';
const AUDIENCE = 'maas-api';
// Pinned: a token that names any other algorithm (including "none") is refused by jose.
const ALGORITHM = 'HS256';
// jose only checks a claim that is present; without this list a token signed with the real key but
// carrying no `exp` would never expire (issue 17).
const REQUIRED_CLAIMS = ['exp', 'iat', 'iss', 'aud'];

export interface AccessClaims {
  userId: string;
  role: UserRole;
  sessionId: string;
}

export async function signAccessToken(key: Uint8Array, claims: AccessClaims, ttlSeconds: number): Promise<string> {
  return new SignJWT({ role: claims.role, sid: claims.sessionId })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(key);
}

/** Returns the claims of a valid token, or null for anything forged, expired or malformed. */
export async function verifyAccessToken(key: Uint8Array, token: string): Promise<AccessClaims | null> {
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: [ALGORITHM],
      issuer: ISSUER,
      audience: AUDIENCE,
      requiredClaims: REQUIRED_CLAIMS,
    });
    const { sub, sid, role } = payload;
    if (typeof sub !== 'string' || typeof sid !== 'string') return null;
    if (role !== 'user' && role !== 'developer' && role !== 'admin') return null;
    return { userId: sub, sessionId: sid, role };
  } catch (error) {
    if (error instanceof joseErrors.JOSEError || error instanceof TypeError) return null;
    throw error;
  }
}

/** Opaque refresh token: 200 random bits. Only its SHA-256 is stored. */
export function newRefreshToken(): string {
  return `rt_${randomSecret(25)}`;
}

// Every API call hashes its key or refresh token: node's native SHA-256 (same digest as
// @oslojs/crypto's) keeps that off the hot path's CPU profile.
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
