// Input and output types of the API, re-exported for the SDK and the dashboard.
import type { z } from 'zod';
import type * as auth from './auth/schemas.js';
import type * as users from './users/schemas.js';

export type RegisterInput = z.input<typeof auth.RegisterInput>;
export type TokenInput = z.input<typeof auth.TokenInput>;
export type TokenPair = z.infer<typeof auth.TokenPair>;
export type UserProfile = z.infer<typeof users.UserProfile>;
export type UpdateProfileInput = z.input<typeof users.UpdateProfileInput>;
