import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import Fastify, { type FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The headers helmet would set, applied as they are instead of running helmet (`helmet: false`). */
    helmetHeaders?: readonly (readonly [string, string])[];
  }
}

/**
 * The headers @fastify/helmet sets with these options, in its order and spelling, read once from a
 * probe server. With no CSP nonces they are the same on every answer, yet the plugin
 * rebuilds helmet's middleware for each request; a hot route can set them as they are.
 */
export async function helmetHeadersOf(options: FastifyHelmetOptions): Promise<[string, string][]> {
  const probe = Fastify({ logger: false });
  const headers: [string, string][] = [];
  // Before helmet's hooks: every header set on the raw response from here on is helmet's.
  probe.addHook('onRequest', (_request, reply, done) => {
    const setHeader = reply.raw.setHeader.bind(reply.raw);
    reply.raw.setHeader = (name, value) => {
      headers.push([name, String(value)]);
      return setHeader(name, value);
    };
    done();
  });
  await probe.register(helmet, options);
  // Helmet's hooks have run: what the reply sets from here (its content-type and length) is not helmet's.
  probe.addHook('preHandler', (_request, reply, done) => {
    delete (reply.raw as { setHeader?: unknown }).setHeader;
    done();
  });
  probe.get('/', async () => '');
  await probe.inject('/');
  await probe.close();
  return headers;
}

/**
 * Helmet's headers on every answer, as @fastify/helmet would set them, from one hook: the plugin
 * itself runs two hooks per request (one of them async, and rebuilding helmet's middleware for
 * every route that keeps it), for headers that never change here (no CSP nonces). The headers are
 * read once from the real plugin (helmetHeadersOf) and set at the same point (the first onRequest
 * hook after this one's registration), on the raw response, in the same order and spelling.
 * A route with `helmet: false` gets none, or the set it names in `config.helmetHeaders`;
 * answers no route claims (404s) get them, as with the plugin.
 */
export async function registerHelmet(app: FastifyInstance, options: FastifyHelmetOptions): Promise<[string, string][]> {
  const headers = await helmetHeadersOf(options);
  app.addHook('onRoute', (route) => {
    if (route.helmet === undefined) return;
    if (route.helmet !== false) throw new Error('per-route helmet options are not supported: set config.helmetHeaders');
    route.config = { ...route.config, helmetHeaders: route.config?.helmetHeaders ?? [] };
  });
  app.addHook('onRequest', (request, reply, done) => {
    const raw = reply.raw;
    for (const [name, value] of request.routeOptions.config.helmetHeaders ?? headers) raw.setHeader(name, value);
    done();
  });
  return headers;
}
