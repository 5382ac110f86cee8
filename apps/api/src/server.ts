import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import {
  appRouter,
  bootstrapPlatformData,
  buildOpenApiDocument,
  createdProcedurePaths,
  createPlatform,
  describeError,
  negotiateLocale,
  type Platform,
  type PlatformConfig,
  resolveJwtSecret,
  translate,
} from '@maas/api';
import { createDatabase, type DatabaseHandle, migrateToLatest } from '@maas/db';
import { fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { fastifyTRPCOpenApiPlugin } from 'trpc-to-openapi';
import { fastifyErrorToEnvelope, sendErrorEnvelope, envelope } from './envelope.js';
import { loggerOptions } from './logger.js';
import { contextFromRequest } from './request-context.js';
import { registerExtraRoutes } from './routes/index.js';
import { randomUUID } from 'node:crypto';

export interface ServerOptions {
  config: PlatformConfig;
  /** Reuse a database (tests share one PGlite per file); otherwise one is created from the config. */
  database?: DatabaseHandle;
  /** Log requests (off in tests). */
  logging?: boolean;
}

export interface MaasServer {
  app: FastifyInstance;
  platform: Platform;
  database: DatabaseHandle;
  close(): Promise<void>;
}

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const API_PREFIX = '/api/v1';

/** Builds the whole HTTP host: migrations, bootstrap data, and the router served three ways. */
export async function buildServer(options: ServerOptions): Promise<MaasServer> {
  const { config } = options;
  const database = options.database ?? createDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  await migrateToLatest(database.db);
  const platform = createPlatform({ db: database.db, config, jwtSecret: resolveJwtSecret(config) });
  await bootstrapPlatformData(platform);

  const app = Fastify({
    logger: options.logging === false ? false : loggerOptions(config.logLevel),
    bodyLimit: config.maxBodyBytes,
    trustProxy: toFastifyTrustProxy(config.trustProxy),
    // A well-formed incoming X-Request-Id is kept so a caller can follow its request through logs.
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      if (typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming)) return incoming;
      return `req_${randomUUID().replaceAll('-', '')}`;
    },
    routerOptions: { maxParamLength: 200 },
  });

  app.decorateRequest('locale', 'zh-CN');
  app.addHook('onRequest', async (request, reply) => {
    request.locale = negotiateLocale(request.headers['accept-language']);
    void reply.header('x-request-id', request.id);
  });

  const openApiDocument = buildOpenApiDocument(`${config.publicUrl}${API_PREFIX}`);
  const createdPaths = createdProcedurePaths();

  app.setErrorHandler((error, request, reply) => {
    const fastifyError = fastifyErrorToEnvelope(errorCodeOf(error), request.locale, request.id);
    if (fastifyError) return reply.code(fastifyError.status).send(fastifyError.body);
    const body = describeError(error, request.locale);
    if (body.status >= 500) request.log.error({ err: error }, 'unhandled error');
    return sendErrorEnvelope(reply, error, request.locale);
  });

  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(envelope('NOT_FOUND', translate(request.locale, 'ROUTE_NOT_FOUND'), null, request.id));
  });

  // REST callers often POST without a body (e.g. logout); treat that as an empty JSON object.
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined && request.method !== 'GET' && request.method !== 'DELETE' && request.url.startsWith(API_PREFIX)) {
      const length = request.headers['content-length'];
      if (!request.headers['content-type'] && (length === undefined || length === '0')) {
        request.headers['content-type'] = 'application/json';
        request.body = {};
      }
    }
  });

  await app.register(fastifyTRPCPlugin, {
    prefix: '/trpc',
    trpcOptions: {
      router: appRouter,
      createContext: ({ req, res }: { req: Parameters<typeof contextFromRequest>[1]; res: Parameters<typeof contextFromRequest>[2] }) =>
        contextFromRequest(platform, req, res),
      onError: ({ error, req }: { error: unknown; req: { log: FastifyInstance['log'] } }) => {
        if (describeError(error, 'en').status >= 500) req.log.error({ err: error }, 'trpc error');
      },
    },
  });

  // trpc-to-openapi writes its own error body; the contract's envelope is produced here instead,
  // from the shape our errorFormatter put in `data`.
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode < 400 || typeof payload !== 'string' || !request.routeOptions.url?.startsWith(API_PREFIX)) return payload;
    if (!reply.getHeader('content-type')?.toString().startsWith('application/json')) return payload;
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload);
    } catch {
      return payload;
    }
    if (!isTrpcOpenApiError(parsed)) return payload;
    const { data } = parsed;
    void reply.code(data.httpStatus);
    // Without a request context (unknown path, bad content type) the formatter could not know the
    // caller's language, so the message is worded again here.
    const message = request.requestContext ? data.message : translate(request.locale, data.code);
    return JSON.stringify(envelope(data.code, message, data.details, request.id));
  });

  await app.register(fastifyTRPCOpenApiPlugin, {
    basePath: API_PREFIX,
    router: appRouter,
    createContext: ({ req, res }: { req: Parameters<typeof contextFromRequest>[1]; res: Parameters<typeof contextFromRequest>[2] }) =>
      contextFromRequest(platform, req, res),
    responseMeta: ({ paths, errors, ctx }: { paths?: readonly string[]; errors: unknown[]; ctx?: { locale: 'zh-CN' | 'en' } }) => {
      if (errors.length > 0) {
        const body = describeError(errors[0], ctx?.locale ?? 'zh-CN');
        return { status: body.status, headers: body.headers ?? {} };
      }
      const path = paths?.[0];
      return path && createdPaths.has(path) ? { status: 201 } : {};
    },
    onError: ({ error, req }: { error: unknown; req: unknown }) => {
      if (describeError(error, 'en').status >= 500) app.log.error({ err: error, url: urlOf(req) }, 'rest error');
    },
  });

  app.get(`${API_PREFIX}/openapi.json`, async () => openApiDocument);
  // openapi3-ts (3.1) and openapi-types (3.0) disagree on typings only; the JSON is the same document.
  const staticDocument = JSON.parse(JSON.stringify(openApiDocument));
  await app.register(swagger, { mode: 'static', specification: { document: staticDocument } });
  await app.register(swaggerUi, { routePrefix: `${API_PREFIX}/docs` });

  app.get('/healthz', async (_request, reply) => {
    const ok = await database.ping();
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', database: ok ? 'up' : 'down' });
  });

  await registerExtraRoutes(app, platform);

  let closed = false;
  return {
    app,
    platform,
    database,
    close: async () => {
      if (closed) return;
      closed = true;
      await app.close();
      if (!options.database) await database.close();
    },
  };
}

function urlOf(req: unknown): string | undefined {
  return typeof req === 'object' && req !== null && 'url' in req && typeof req.url === 'string' ? req.url : undefined;
}

function toFastifyTrustProxy(value: boolean | string | number) {
  if (typeof value !== 'number') return value;
  // "Trust the nearest N hops", as Fastify's numeric trustProxy means.
  return (_address: string, hop: number) => hop < value;
}

function errorCodeOf(error: unknown): { code?: string; statusCode?: number } {
  if (typeof error !== 'object' || error === null) return {};
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  const statusCode = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : undefined;
  return { ...(code ? { code } : {}), ...(statusCode ? { statusCode } : {}) };
}


interface TrpcOpenApiError {
  message: string;
  data: { code: Parameters<typeof envelope>[0]; httpStatus: number; message: string; details: Record<string, unknown> | null };
}

function isTrpcOpenApiError(value: unknown): value is TrpcOpenApiError {
  if (typeof value !== 'object' || value === null || !('data' in value) || !('message' in value)) return false;
  const data = value.data;
  return typeof data === 'object' && data !== null && 'code' in data && 'httpStatus' in data;
}
