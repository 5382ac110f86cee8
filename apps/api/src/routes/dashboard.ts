import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Paths the dashboard never answers: they belong to the API, even when nothing matches there (404 envelope). */
const RESERVED_PREFIXES = ['/api', '/trpc', '/v1', '/healthz', '/metrics'];

export function isReservedPath(url: string): boolean {
  const path = url.split('?')[0] ?? url;
  return RESERVED_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/** `apps/dashboard/dist`, relative to this file (src/routes → ../../../dashboard/dist). */
export const DEFAULT_DASHBOARD_DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../../../dashboard/dist');

/**
 * Serves the built dashboard (`pnpm --filter @maas/dashboard build`) at `/` when its dist folder
 * exists: hashed assets with long caching, and index.html for any other GET that is not an API
 * path (client-side routes). Does nothing when the dashboard has not been built.
 */
export async function registerDashboardRoutes(app: FastifyInstance, root: string = DEFAULT_DASHBOARD_DIST): Promise<boolean> {
  if (!existsSync(resolve(root, 'index.html'))) return false;
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    // One route per built file (no catch-all from the plugin); the SPA fallback below is ours.
    wildcard: false,
    index: false,
    setHeaders: (res, filePath) => {
      if (filePath.includes(`${'/'}assets${'/'}`)) res.setHeader('cache-control', 'public, max-age=31536000, immutable');
      else res.setHeader('cache-control', 'no-cache');
    },
  });
  const sendIndex = (reply: FastifyReply) => reply.header('cache-control', 'no-cache').sendFile('index.html', root);
  app.get('/', (_request, reply) => sendIndex(reply));
  app.get('/*', (request, reply) => {
    if (isReservedPath(request.url)) return reply.callNotFound();
    return sendIndex(reply);
  });
  return true;
}
