import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import type { Platform } from '../core/platform.js';

export const API_KEY_PREFIX = 'sk-';

export function isApiKeyToken(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

/** Resolves an `sk-…` key to the actor it acts for. */
export async function authenticateApiKey(_platform: Platform, _token: string): Promise<Actor> {
  throw new AppError('UNAUTHORIZED', { message: 'TOKEN_INVALID' });
}
