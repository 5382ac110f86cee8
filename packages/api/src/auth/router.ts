import { authedProcedure, publicProcedure, router } from '../trpc.js';
import { UserProfile } from '../users/schemas.js';
import { LogoutResult, RefreshInput, RegisterInput, TokenInput, TokenPair } from './schemas.js';
import { login, refresh, registerUser, revokeSession } from './service.js';
import { AppError } from '../core/errors.js';

const tags = ['auth'];

export const authRouter = router({
  register: publicProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/auth/register',
        tags,
        summary: 'Create an account',
        description:
          'Creates a user with the role `user` and the signup credit in their wallet. Usernames and emails are unique case-insensitively (409 when taken). Sign in with POST /auth/token afterwards.',
      },
      created: true,
      errors: ['CONFLICT'],
    })
    .input(RegisterInput)
    .output(UserProfile)
    .mutation(({ ctx, input }) => registerUser(ctx.platform, input)),

  token: publicProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/auth/token',
        tags,
        summary: 'Sign in with username or email and password',
        description:
          'Exchanges a username (or email) and password for an access token (JWT, 1 hour) and a refresh token. Repeated failures for one account or address are slowed down and then refused with 429.',
      },
    })
    .input(TokenInput)
    .output(TokenPair)
    .mutation(({ ctx, input }) => login(ctx.platform, input, { ip: ctx.ip })),

  refresh: publicProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/auth/refresh',
        tags,
        summary: 'Rotate the refresh token',
        description:
          'Rotates the refresh token: answers a new access token and a new refresh token, and the old refresh token stops working. Presenting a refresh token twice revokes the whole session.',
      },
    })
    .input(RefreshInput)
    .output(TokenPair)
    .mutation(({ ctx, input }) => refresh(ctx.platform, input)),

  logout: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/auth/logout',
        tags,
        summary: 'End the current session',
        protect: true,
        description: "Revokes the caller's session: its access and refresh tokens stop working on every instance.",
      },
    })
    .input(RefreshInput.partial().optional())
    .output(LogoutResult)
    .mutation(async ({ ctx }) => {
      if (!ctx.actor.sessionId) throw new AppError('INVALID_REQUEST');
      await revokeSession(ctx.platform, ctx.actor.sessionId, 'logout');
      return { revoked: true as const };
    }),
});
