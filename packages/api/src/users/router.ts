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
    .meta({
      openapi: {
        method: 'GET',
        path: '/users/profile',
        tags: ['users'],
        protect: true,
        summary: 'Your profile',
        description: 'The signed-in user: id, username, email, role, avatar and timestamps.',
      },
    })
    .input(z.void())
    .output(UserProfile)
    .query(({ ctx }) => getProfile(ctx.platform.db, ctx.actor)),

  updateProfile: authedProcedure
    .meta({
      openapi: {
        method: 'PUT',
        path: '/users/profile',
        tags: ['users'],
        protect: true,
        summary: 'Change your profile',
        description: 'Changes the username, email or avatar; fields left out keep their value. A taken username or email is a 409.',
      },
      errors: ['CONFLICT'],
    })
    .input(UpdateProfileInput)
    .output(UserProfile)
    .mutation(({ ctx, input }) => updateProfile(ctx.platform.db, ctx.actor, input)),

  changePassword: authedProcedure
    .meta({
      openapi: {
        method: 'PUT',
        path: '/users/password',
        tags: ['users'],
        protect: true,
        summary: 'Change your password',
        description: 'Needs the current password. Every other session of the user is revoked; the answer says how many.',
      },
    })
    .input(ChangePasswordInput)
    .output(ChangePasswordResult)
    .mutation(({ ctx, input }) => changePassword(ctx.platform, ctx.actor, input, { ip: ctx.ip })),
});

export const adminUsersRouter = router({
  list: adminProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/admin/users',
        tags: ['admin'],
        protect: true,
        summary: 'List users (admins)',
        description: 'Every user, paginated, with role and whether they are disabled; filter by role or search the username and email.',
      },
    })
    .input(ListUsersInput)
    .output(UserList)
    .query(({ ctx, input }) => listUsers(ctx.platform.db, input)),

  update: adminProcedure
    .meta({
      openapi: {
        method: 'PATCH',
        path: '/admin/users/{user_id}',
        tags: ['admin'],
        protect: true,
        summary: "Change a user's role or disable them (admins)",
        description: 'A disabled user cannot sign in, and their sessions and API keys stop working. Audited.',
      },
    })
    .input(AdminUpdateUserInput)
    .output(AdminUser)
    .mutation(({ ctx, input }) => adminUpdateUser(ctx.platform, ctx.actor, input)),
});
