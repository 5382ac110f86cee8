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
 * Registers helmet, and beside it (so at the same point of every request, before the hooks that
 * may refuse it) a hook that sets the precomputed headers of routes that opt out of helmet with
 * `{ helmet: false, config: { helmetHeaders } }`.
 */
export async function registerHelmet(app: FastifyInstance, options: FastifyHelmetOptions): Promise<[string, string][]> {
  const headers = await helmetHeadersOf(options);
  await app.register(helmet, options);
  app.addHook('onRequest', (request, reply, done) => {
    const { helmetHeaders } = request.routeOptions.config;
    // Set on the raw response, as helmet does, so that they come out in the same order.
    if (helmetHeaders) for (const [name, value] of helmetHeaders) reply.raw.setHeader(name, value);
    done();
  });
  return headers;
}
