import { adminRouter } from './admin/router.js';
import { apiKeysRouter } from './api-keys/router.js';
import { applicationsRouter } from './applications/router.js';
import { authRouter } from './auth/router.js';
import { billingRouter } from './billing/router.js';
import { chatRouter } from './chat/router.js';
import { communityRouter } from './community/router.js';
import { filesRouter } from './files/router.js';
import { modelsRouter } from './models/router.js';
import { providersRouter } from './providers/router.js';
import { toolsRouter } from './tools/router.js';
import { topUpsRouter } from './top-ups/router.js';
import { router } from './trpc.js';
import { adminUsersRouter, usersRouter } from './users/router.js';

export const appRouter = router({
  auth: authRouter,
  users: usersRouter,
  adminUsers: adminUsersRouter,
  providers: providersRouter,
  models: modelsRouter,
  files: filesRouter,
  applications: applicationsRouter,
  chat: chatRouter,
  apiKeys: apiKeysRouter,
  billing: billingRouter,
  topUps: topUpsRouter,
  tools: toolsRouter,
  community: communityRouter,
  admin: adminRouter,
});

export type AppRouter = typeof appRouter;
