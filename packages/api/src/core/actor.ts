import type { UserRole } from '@maas/db';

/** Who is calling: a signed-in user (JWT) or a platform API key acting for its owner. */
export interface Actor {
  userId: string;
  role: UserRole;
  sessionId: string | null;
  apiKeyId: string | null;
}
