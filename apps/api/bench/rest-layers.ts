// `pnpm bench --rest --layers`: where a REST read's CPU goes, layer by layer (issue 18 target 1).
// Each layer is a route of a plain Fastify server (no hooks) inside our gateway's own process, so it
// pays the same runtime, heap and garbage collector as our routes; each adds one piece of what our
// generated route does, cumulatively:
//
//   floor-here  the floor's own handler (rest-floor-routes.ts): pg, its SQL, its mapping, JSON
//   service     our service function instead (kysely's compiled query templates, our row mapping),
//               given the input as the procedure's schema parses it, its answer JSON.stringify'd
//   procedure   the tRPC procedure through a caller: the request context, the auth middleware,
//               the input parse and the output parse (zod), as trpc-to-openapi ran it
//
// Our route adds Fastify's hooks (request id, locale, CORS, security headers, rate limits, HTTP
// metrics, the request log) and the generated route's own work (path and query handling, the
// compiled output serializer instead of the zod output parse) on top of procedure.
import { appRouter, createRequestContext, type Platform } from '@maas/api';
import { getModel, getProfile, listModels, ListModelsInput, listPosts, ListPostsInput } from '@maas/api/testing';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { floorPool, registerFloorRoutes } from './rest-floor-routes.js';

export const REST_LAYERS = ['floor-here', 'service', 'procedure'] as const;

function sendJson(reply: FastifyReply, value: unknown) {
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(value));
}

function authorizationOf(request: FastifyRequest): string | undefined {
  return request.headers.authorization;
}

/** Serves the layers on `port`, each under `/<layer>` followed by the read's own path. */
export async function startRestLayerServer(
  platform: Platform,
  port: number,
  databaseUrl: string,
  jwtSecret: string,
): Promise<() => Promise<void>> {
  const app = Fastify({ logger: false });
  const pool = floorPool(databaseUrl);
  registerFloorRoutes(app, pool, jwtSecret, '/floor-here/api/v1');

  const db = platform.db;
  app.get('/service/api/v1/models', async (request, reply) =>
    sendJson(reply, await listModels(db, null, ListModelsInput.parse(request.query))),
  );
  app.get('/service/api/v1/community/posts', async (request, reply) =>
    sendJson(reply, await listPosts(db, null, ListPostsInput.parse(request.query))),
  );
  app.get<{ Params: { id: string } }>('/service/api/v1/models/:id', async (request, reply) =>
    sendJson(reply, await getModel(db, null, request.params.id)),
  );
  app.get('/service/api/v1/users/profile', async (request, reply) =>
    sendJson(reply, await getProfile(db, await platform.authenticate({ authorization: authorizationOf(request) }))),
  );

  const caller = (request: FastifyRequest, reply: FastifyReply) =>
    appRouter.createCaller(
      createRequestContext({
        platform,
        requestId: request.id,
        locale: 'en',
        ip: request.ip,
        authorization: authorizationOf(request),
        idempotencyKey: undefined,
        userAgent: request.headers['user-agent'],
        clientSignal: () => new AbortController().signal,
        setHeader: (name, value) => void reply.header(name, value),
      }),
    );
  app.get('/procedure/api/v1/models', async (request, reply) =>
    sendJson(reply, await caller(request, reply).models.list(request.query as never)),
  );
  app.get('/procedure/api/v1/community/posts', async (request, reply) =>
    sendJson(reply, await caller(request, reply).community.list(request.query as never)),
  );
  app.get<{ Params: { id: string } }>('/procedure/api/v1/models/:id', async (request, reply) =>
    sendJson(reply, await caller(request, reply).models.get({ model_id: request.params.id })),
  );
  app.get('/procedure/api/v1/users/profile', async (request, reply) => sendJson(reply, await caller(request, reply).users.profile()));

  await app.listen({ port, host: '127.0.0.1' });
  return async () => {
    await app.close();
    await pool.end();
  };
}
