// `pnpm bench --rest --layers`: where a REST read's CPU goes, layer by layer (issue 18 target 1).
// Each layer is a route of a plain Fastify server (no hooks) inside our gateway's own process, so it
// pays the same runtime, heap and garbage collector as our routes; each adds one piece of what our
// generated route does, cumulatively:
//
//   floor-here  the floor's own handler (rest-floor-routes.ts): pg, its SQL, its mapping, JSON
//   service     our service function instead (kysely's compiled query templates, our row mapping),
//               given the input as the procedure's schema parses it, its answer JSON.stringify'd
//   guarantees  what the procedure guarantees, written by hand without tRPC: the request context,
//               the caller identified as its middleware does, the input parsed and the output
//               checked by the procedure's own schemas (the output by our compiled serializer)
//   route       our generated route itself (routes/rest-reads), on this plain server: the procedure's
//               middlewares run as tRPC would, then our compiled serializer; none of our hooks
//   procedure   the tRPC procedure through a caller: the request context, the auth middleware,
//               the input parse and the output parse (zod), as trpc-to-openapi ran it
//
// Our route adds Fastify's hooks (request id, locale, CORS, security headers, rate limits, HTTP
// metrics, the request log) and the generated route's own work (path and query handling, the
// compiled output serializer instead of the zod output parse) on top of procedure.
import { appRouter, createRequestContext, type Platform, type RequestContext } from '@maas/api';
import { getModel, getProfile, listModels, ListModelsInput, listPosts, ListPostsInput } from '@maas/api/testing';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { REST_READS } from '../src/server.js';
import { procedureAt, registerRestReads } from '../src/routes/rest-reads/index.js';
import { compileOutputSerializer } from '../src/routes/rest-reads/output-serializer.js';
import { floorPool, registerFloorRoutes } from './rest-floor-routes.js';

export const REST_LAYERS = ['floor-here', 'service', 'guarantees', 'route', 'procedure'] as const;

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

  const context = (request: FastifyRequest, reply: FastifyReply): RequestContext =>
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
    });
  // The procedure's own schemas, and the serializer our generated route compiles from its output.
  const schemasOf = (path: string) => {
    const { input, output } = procedureAt(appRouter, path);
    const serialize = compileOutputSerializer(output);
    return { input, write: (value: unknown) => serialize(value) ?? JSON.stringify(output.parse(value)) };
  };
  const guaranteed = {
    list: schemasOf('models.list'),
    posts: schemasOf('community.list'),
    detail: schemasOf('models.get'),
    profile: schemasOf('users.profile'),
  };
  // viewerProcedure: identified only if a credential was sent; authedProcedure: always.
  const viewer = async (ctx: RequestContext) => (ctx.authorization ? platform.authenticate(ctx) : null);
  const sendText = (reply: FastifyReply, json: string) => reply.type('application/json; charset=utf-8').send(json);
  app.get('/guarantees/api/v1/models', async (request, reply) => {
    const ctx = context(request, reply);
    const actor = await viewer(ctx);
    const input = await guaranteed.list.input.parseAsync(request.query);
    return sendText(reply, guaranteed.list.write(await listModels(db, actor, input as never)));
  });
  app.get('/guarantees/api/v1/community/posts', async (request, reply) => {
    const ctx = context(request, reply);
    const actor = await viewer(ctx);
    const input = await guaranteed.posts.input.parseAsync(request.query);
    return sendText(reply, guaranteed.posts.write(await listPosts(db, actor, input as never)));
  });
  app.get<{ Params: { id: string } }>('/guarantees/api/v1/models/:id', async (request, reply) => {
    const ctx = context(request, reply);
    const actor = await viewer(ctx);
    const input = (await guaranteed.detail.input.parseAsync({ model_id: request.params.id })) as { model_id: string };
    return sendText(reply, guaranteed.detail.write(await getModel(db, actor, input.model_id)));
  });
  app.get('/guarantees/api/v1/users/profile', async (request, reply) => {
    const ctx = context(request, reply);
    const actor = await platform.authenticate(ctx);
    return sendText(reply, guaranteed.profile.write(await getProfile(db, actor)));
  });

  registerRestReads(app, {
    router: appRouter,
    procedures: REST_READS,
    prefix: '/route/api/v1',
    createContext: context,
    successStatus: () => 200,
    openApiHandler: () => {
      throw new Error('the bench asks the route layer for plain paths only');
    },
  });

  const caller = (request: FastifyRequest, reply: FastifyReply) => appRouter.createCaller(context(request, reply));
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
