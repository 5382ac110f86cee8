import { adminProcedure, authedProcedure, router } from '../trpc.js';
import {
  AdminUpdateUserInput,
  AdminUser,
  ChangePasswordInput,
  ChangePasswordResult,
  ListUsersInput,
  UpdateProfileInput,
  UserList,
  UserProfile,
} from './schemas.js';
import { adminUpdateUser, changePassword, getProfile, listUsers, updateProfile } from './service.js';
import { z } from 'zod';

export const usersRouter = router({
  profile: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/users/profile', tags: ['users'], protect: true } })
    .input(z.void())
    .output(UserProfile)
    .query(({ ctx }) => getProfile(ctx.platform.db, ctx.actor)),

  updateProfile: authedProcedure
    .meta({ openapi: { method: 'PUT', path: '/users/profile', tags: ['users'], protect: true }, errors: ['CONFLICT'] })
    .input(UpdateProfileInput)
    .output(UserProfile)
    .mutation(({ ctx, input }) => updateProfile(ctx.platform.db, ctx.actor, input)),

  changePassword: authedProcedure
    .meta({ openapi: { method: 'PUT', path: '/users/password', tags: ['users'], protect: true } })
    .input(ChangePasswordInput)
    .output(ChangePasswordResult)
    .mutation(({ ctx, input }) => changePassword(ctx.platform, ctx.actor, input, { ip: ctx.ip })),
});

export const adminUsersRouter = router({
  list: adminProcedure
    .meta({ openapi: { method: 'GET', path: '/admin/users', tags: ['admin'], protect: true } })
    .input(ListUsersInput)
    .output(UserList)
    .query(({ ctx, input }) => listUsers(ctx.platform.db, input)),

  update: adminProcedure
    .meta({ openapi: { method: 'PATCH', path: '/admin/users/{user_id}', tags: ['admin'], protect: true } })
    .input(AdminUpdateUserInput)
    .output(AdminUser)
    .mutation(({ ctx, input }) => adminUpdateUser(ctx.platform, ctx.actor, input)),
});
