import { z } from 'zod';
import { Email, NO_NUL, Password, Username } from '../users/schemas.js';

export const RegisterInput = z.object({ username: Username, email: Email, password: Password }).strict();

export const TokenInput = z
  .object({
    username: z.string().trim().min(1).max(254).regex(NO_NUL).meta({ description: 'Username or email' }),
    password: z.string().min(1).max(128),
  })
  .strict();

export const TokenPair = z
  .object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int(),
    refresh_token: z.string(),
  })
  .meta({ id: 'TokenPair' });

// Generous bound: any string is only hashed and looked up, so a wrong token of any plausible
// length (an access token pasted by mistake) answers 401 like every other wrong refresh token.
export const RefreshInput = z.object({ refresh_token: z.string().min(1).max(4096) }).strict();

export const LogoutResult = z.object({ revoked: z.literal(true) });
