import { authedProcedure, publicProcedure, router } from '../trpc.js';
import { UserProfile } from '../users/schemas.js';
import { LogoutResult, RefreshInput, RegisterInput, TokenInput, TokenPair } from './schemas.js';
import { login, refresh, registerUser, revokeSession } from './service.js';
import { AppError } from '../core/errors.js';

const tags = ['auth'];

export const authRouter = router({
  register: publicProcedure
    .meta({ openapi: { method: 'POST', path: '/auth/register', tags, summary: 'Create an account' }, created: true, errors: ['CONFLICT'] })
    .input(RegisterInput)
    .output(UserProfile)
    .mutation(({ ctx, input }) => registerUser(ctx.platform, input)),

  token: publicProcedure
    .meta({ openapi: { method: 'POST', path: '/auth/token', tags, summary: 'Sign in with username or email and password' } })
    .input(TokenInput)
    .output(TokenPair)
    .mutation(({ ctx, input }) => login(ctx.platform, input, { ip: ctx.ip })),

  refresh: publicProcedure
    .meta({ openapi: { method: 'POST', path: '/auth/refresh', tags, summary: 'Rotate the refresh token' } })
    .input(RefreshInput)
    .output(TokenPair)
    .mutation(({ ctx, input }) => refresh(ctx.platform, input)),

  logout: authedProcedure
    .meta({ openapi: { method: 'POST', path: '/auth/logout', tags, summary: 'End the current session', protect: true } })
    .input(RefreshInput.partial().optional())
    .output(LogoutResult)
    .mutation(async ({ ctx }) => {
      if (!ctx.actor.sessionId) throw new AppError('INVALID_REQUEST');
      await revokeSession(ctx.platform, ctx.actor.sessionId, 'logout');
      return { revoked: true as const };
    }),
});
