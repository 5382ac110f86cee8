import type { User } from '@maas/db';
import { toIso, toIsoOrNull } from '../core/time.js';

/** A user as the API shows it (no password hash, no disabled flag). Auth answers a registration with it too. */
export function toUserProfile(user: User) {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    avatar: user.avatar,
    role: user.role,
    created_at: toIso(user.created_at),
    last_login: toIsoOrNull(user.last_login),
  };
}
