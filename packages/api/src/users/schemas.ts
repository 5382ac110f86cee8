import { z } from 'zod';
import { IdOf, PathIdOf } from '../core/ids.js';
import { PageInput, pageOf } from '../core/pagination.js';
import { Timestamp } from '../core/time.js';

/** PostgreSQL text cannot hold U+0000: refusing it here makes such input a 400 naming its field. */
export const NO_NUL = /^[^\u0000]*$/;

export const Username = z
  .string()
  .trim()
  .min(3)
  .max(32)
  .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only');
export const Email = z.string().trim().max(254).pipe(z.email());
export const Password = z.string().min(8).max(128);
export const Role = z.enum(['user', 'developer', 'admin']);
export const UserId = IdOf('user');

export const UserProfile = z
  .object({
    id: z.string(),
    username: z.string(),
    email: z.string(),
    avatar: z.string().nullable(),
    role: Role,
    created_at: Timestamp,
    last_login: Timestamp.nullable(),
  })
  .meta({ id: 'UserProfile' });

export const UpdateProfileInput = z
  .object({
    username: Username.optional(),
    email: Email.optional(),
    avatar: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .regex(NO_NUL)
      .nullable()
      .optional(),
  })
  .strict();

export const ChangePasswordInput = z.object({ current_password: z.string().min(1).max(128), new_password: Password }).strict();

export const ChangePasswordResult = z.object({ updated: z.literal(true), revoked_sessions: z.number().int() });

export const AdminUser = UserProfile.extend({ disabled: z.boolean() }).meta({ id: 'AdminUser' });

export const ListUsersInput = PageInput.extend({
  search: z.string().trim().max(100).regex(NO_NUL).optional(),
  role: Role.optional(),
});
export const UserList = pageOf(AdminUser);

export const AdminUpdateUserInput = z
  .object({ user_id: PathIdOf('user'), role: Role.optional(), disabled: z.boolean().optional() })
  .strict();
