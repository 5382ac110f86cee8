import type { Platform } from '@maas/api';
import type { FastifyInstance } from 'fastify';
import { registerAnthropicMessagesRoutes } from './anthropic-messages.js';
import { registerChatStreamRoutes } from './chat-stream.js';
import { registerDashboardRoutes } from './dashboard.js';
import { registerDemoToolRoutes } from './demo-tools.js';
import { registerFileRoutes } from './files.js';
import { registerGatewayRoutes } from './gateway.js';
import { registerMcpRoutes } from './mcp.js';
import { registerStripeWebhookRoutes } from './stripe-webhook.js';

/** Routes outside the router: uploads, streaming chat over SSE, the OpenAI-compatible gateway, the MCP endpoint, payment webhooks, the dashboard. */
export async function registerExtraRoutes(
  app: FastifyInstance,
  platform: Platform,
  /** Helmet's headers, computed once, for the hot routes that set them as they are. */
  helmetHeaders: readonly (readonly [string, string])[],
): Promise<{ dashboard: boolean }> {
  await registerFileRoutes(app, platform);
  await registerChatStreamRoutes(app, platform, helmetHeaders);
  await registerGatewayRoutes(app, platform);
  await registerAnthropicMessagesRoutes(app, platform);
  await registerMcpRoutes(app, platform);
  await registerDemoToolRoutes(app, platform);
  await registerStripeWebhookRoutes(app, platform);
  // The built dashboard (`pnpm start` builds it when missing; `pnpm --filter @maas/dashboard dev`
  // serves it with hot reload and proxies here). Last: its index.html answers the GET paths no API
  // route claims.
  const dashboard = platform.config.serveDashboard && (await registerDashboardRoutes(app));
  return { dashboard };
}
