import cors from '@fastify/cors';
import swagger, { type StaticDocumentSpec } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import {
  AppError,
  appRouter,
  bootstrapPlatformData,
  type BootstrapReport,
  type Telemetry,
  buildOpenApiDocument,
  createdProcedurePaths,
  describeError,
  negotiateLocale,
  type Platform,
  type PlatformConfig,
  type PlatformInit,
} from '@maas/api';
import type { DatabaseHandle } from '@maas/db';
import { TRPCError } from '@trpc/server';
import { fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController, type RouteHandlerMethod } from 'fastify';
import { fastifyTRPCOpenApiPlugin } from 'trpc-to-openapi';
import { loggerOptions } from './logger.js';
import { createMetrics } from './plugins/metrics.js';
import { registerRateLimits } from './plugins/rate-limit.js';
import { registerHelmet } from './plugins/static-helmet.js';
import { createRateLimits } from './rate-limits.js';
import { contextFromRequest } from './request-context.js';
import { registerExtraRoutes } from './routes/index.js';
import { registerRestReads } from './routes/rest-reads/index.js';
import { openDatabase, startPlatform } from './start-platform.js';
import { answerClientError, newRequestId, sendRestError } from './surfaces/errors/index.js';

export interface ServerOptions {
  config: PlatformConfig;
  /** Reuse a database (tests share one PGlite per file); otherwise one is created from the config. */
  database?: DatabaseHandle;
  /** Log requests (off in tests). */
  logging?: boolean;
  /** Where the log goes instead of stdout (a test that reads the log); with a json log format. */
  logStream?: { write(line: string): void };
  /** How the outbound address guard resolves names; node's dns.lookup by default (tests inject a resolver they control). */
  lookup?: PlatformInit['lookup'];
  /**
   * Serve the hot REST reads (REST_READS) by their generated routes; true unless set. false leaves
   * them to trpc-to-openapi, as a test's reference for what the generated routes must answer.
   */
  restReads?: boolean;
}

export interface MaasServer {
  app: FastifyInstance;
  platform: Platform;
  database: DatabaseHandle;
  /** What this start's bootstrap did (an initial admin created), for the start banner. */
  bootstrap: BootstrapReport;
  /** Whether the built dashboard is served at `/`. */
  dashboard: boolean;
  close(): Promise<void>;
}

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const API_PREFIX = '/api/v1';
const APP_TOOLS_PATH = /^\/api\/v1\/applications\/[^/?#]+\/tools\/?(?:\?|$)/;
/** Far beyond any legitimate body (tool JSON schemas nest a few dozen levels at most). */
const MAX_JSON_DEPTH = 128;
/**
 * The hot reads served by plain Fastify routes generated from their procedures (issue 18 target 1,
 * routes/rest-reads): the same answers as through trpc-to-openapi, for a fraction of its work.
 */
export const REST_READS = ['models.list', 'models.get', 'community.list', 'users.profile'] as const;

/** Builds the whole HTTP host: migrations, bootstrap data, and the router served three ways. */
export async function buildServer(options: ServerOptions): Promise<MaasServer> {
  const { config } = options;
  const database = options.database ?? openDatabase(config);
  // The logger exists only once Fastify does; until then warnings go to stderr.
  let warn = (message: string, error?: unknown) => console.warn(message, error);
  let logFailedCall: NonNullable<Telemetry['modelCallFailed']> = () => {};
  const metrics = createMetrics(database);
  const rateLimits = createRateLimits(config, (message, error) => warn(message, error));
  const started = await startPlatform({
    config,
    database,
    ownsDatabase: !options.database,
    rateLimits: rateLimits.limits,
    // Failed model calls go to the log at warn (request id, model, provider, upstream status).
    telemetry: { ...metrics.telemetry, modelCallFailed: (event) => logFailedCall(event) },
    onBackgroundError: (error, label) => warn(`background write failed after retries: ${label}`, error),
    lookup: options.lookup,
    warn: (message, error) => warn(message, error),
    onNotice: (message) => warn(message),
  });
  const { platform } = started;
  const bootstrap = await bootstrapPlatformData(platform, { serialize: database.engine === 'postgres' });

  const timeouts = config.httpTimeouts;
  const app = Fastify({
    logger:
      options.logging === false
        ? false
        : options.logStream
          ? { ...(loggerOptions(config.logLevel, 'json') as object), stream: options.logStream }
          : loggerOptions(config.logLevel, config.logFormat),
    // One line per request, written when it is answered (below), instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.maxBodyBytes,
    // These bound how long a client may take to *send* its request (slowloris, a trickled body):
    // node stops the request and headers clocks once the request is received, so a response that
    // takes long (a model call, an SSE stream) is not cut. A late client gets a 408 and is closed.
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    connectionTimeout: timeouts.connectionMs,
    http: {
      requestTimeout: timeouts.requestMs,
      headersTimeout: timeouts.headersMs,
      // Node sweeps for late requests every 30 s by default, which would let a client overstay a
      // short timeout by that much; sweep a few times per timeout instead.
      connectionsCheckingInterval: sweepIntervalMs(timeouts.headersMs, timeouts.requestMs),
    },
    trustProxy: toFastifyTrustProxy(config.trustProxy),
    // A well-formed incoming X-Request-Id is kept so a caller can follow its request through logs.
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      if (typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming)) return incoming;
      return newRequestId();
    },
    routerOptions: { maxParamLength: 200 },
    clientErrorHandler: answerClientError,
    // URLs Fastify cannot route (bad percent-encoding, an over-long path parameter) still answer
    // with the contract's envelope rather than Fastify's own error body. They come before the
    // onRequest hook, so the language is negotiated here.
    frameworkErrors: (error, request: FastifyRequest, reply: FastifyReply) => {
      void sendRestError(reply, error, negotiateLocale(request.headers['accept-language']));
    },
  });

  // JSON bodies are parsed by Fastify's own parser (prototype poisoning refused), after a depth
  // check: JSON.parse copes with any nesting, but later recursive steps (re-serialising the body,
  // validation) would overflow the stack and turn a hostile body into a 500.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    if (jsonNestingExceeds(text, MAX_JSON_DEPTH)) {
      done(Object.assign(new Error('JSON body nested too deeply'), { code: 'MAAS_JSON_TOO_DEEP', statusCode: 400 }), undefined);
      return;
    }
    // Kept beside the parsed body: the OpenAI gateway forwards an exact edit of it upstream.
    request.jsonText = text;
    void parseJson(request, text, done); // answers through done(); the parser returns nothing
  });

  warn = (message, error) => app.log.warn({ err: error }, message);
  logFailedCall = (event) => app.log.warn({ reqId: event.requestId, ...event }, 'model call failed');
  // One line per request. Probes are polled every few seconds: at debug, so that info shows what
  // users do. (Not registered without a logger: the bench and the tests pay nothing for it.)
  if (options.logging !== false) {
    // The path as received: trpc-to-openapi rewrites the raw URL to its own part of the path.
    const receivedUrl = new WeakMap<FastifyRequest, string>();
    app.addHook('onRequest', (request, _reply, done) => {
      receivedUrl.set(request, request.url);
      done();
    });
    app.addHook('onResponse', (request, reply, done) => {
      const url = receivedUrl.get(request) ?? request.url;
      const quiet = url === '/healthz' || url.startsWith('/metrics');
      request.log[quiet ? 'debug' : 'info'](
        { method: request.method, url, status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
        'request',
      );
      done();
    });
  }

  app.decorateRequest('locale', 'zh-CN');
  // Hooks that do not wait for anything take a callback: an async hook costs every request a
  // promise and a turn of the microtask queue (issue 18).
  app.addHook('onRequest', (request, reply, done) => {
    request.locale = negotiateLocale(request.headers['accept-language']);
    void reply.header('x-request-id', request.id);
    done();
  });
  const helmetHeaders = await registerHelmet(app, {
    // The docs page and the dashboard are the only HTML; both load their assets from this origin.
    contentSecurityPolicy: false,
    hsts: config.isProduction,
  });
  await app.register(cors, { origin: config.corsOrigins.length > 0 ? config.corsOrigins : false, credentials: false });
  metrics.register(app, config.metricsToken);
  metrics.watchLocalRuntime(platform.inference.local);
  registerRateLimits(app, platform, metrics.rateLimited);

  const openApiDocument = buildOpenApiDocument(`${config.publicUrl}${API_PREFIX}`);
  const createdPaths = createdProcedurePaths();

  // Every error that reaches the host (Fastify's own, a hook's, a route's) is converted once and
  // rendered as the REST envelope; the /v1 gateway's scope renders its own shape instead.
  app.setErrorHandler((error, request, reply) => {
    if (describeError(error, 'en').status >= 500) request.log.error({ err: error }, 'unhandled error');
    return sendRestError(reply, error);
  });

  app.setNotFoundHandler((_request, reply) => sendRestError(reply, new AppError('NOT_FOUND', { message: 'ROUTE_NOT_FOUND' })));

  // REST callers often POST without a body (e.g. logout); treat that as an empty JSON object.
  app.addHook('preValidation', (request, _reply, done) => {
    try {
      shapeRestBody(request);
    } catch (error) {
      done(error as Error);
      return;
    }
    done();
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
      // tRPC would derive the status from its own code; use the envelope's, so the HTTP status
      // always equals error.data.httpStatus (a database outage is a 503 on both faces).
      responseMeta: ({ errors, paths }: { errors: readonly unknown[]; paths?: readonly string[] }) => {
        // A batch mixing results and errors keeps tRPC's multi-status answer.
        if (errors.length === 0 || (paths && errors.length < paths.length)) return {};
        const described = errors.map((error) => describeError(error, 'en'));
        const statuses = new Set(described.map((body) => body.status));
        if (statuses.size !== 1) return {};
        return { status: described[0]?.status, headers: described[0]?.headers ?? {} };
      },
    },
  });

  // trpc-to-openapi's catch-all route handler, kept for the requests the generated reads pass on.
  let openApiHandler: RouteHandlerMethod | undefined;
  app.addHook('onRoute', (route) => {
    if (route.url === `${API_PREFIX}/*`) openApiHandler = route.handler;
  });
  await app.register(fastifyTRPCOpenApiPlugin, {
    basePath: API_PREFIX,
    router: appRouter,
    createContext: ({ req, res }: { req: Parameters<typeof contextFromRequest>[1]; res: Parameters<typeof contextFromRequest>[2] }) =>
      contextFromRequest(platform, req, res),
    responseMeta: ({ paths }: { paths?: readonly string[] }) => {
      const path = paths?.[0];
      return path && createdPaths.has(path) ? { status: 201 } : {};
    },
    // trpc-to-openapi would answer an error with its own body ({...errorShape, message, code,
    // issues}), not the contract's envelope. Its onError runs first and sees the error itself, in
    // the request's scope: rethrowing it from here rejects the route handler before that body is
    // written, so the error reaches the host's error handler above and is rendered there, once.
    // (The envelope suite fails if a future trpc-to-openapi swallows this throw.)
    onError: ({ error, path }: { error: unknown; path?: string }) => {
      // No procedure matched: an unknown path, worded as one.
      const unmatched = path === undefined && error instanceof TRPCError && error.code === 'NOT_FOUND';
      throw unmatched ? new AppError('NOT_FOUND', { message: 'ROUTE_NOT_FOUND', cause: error }) : error;
    },
  });

  if (options.restReads !== false)
    registerRestReads(app, {
      router: appRouter,
      procedures: REST_READS,
      prefix: API_PREFIX,
      createContext: (request, reply) => contextFromRequest(platform, request, reply),
      successStatus: (path) => (createdPaths.has(path) ? 201 : 200),
      openApiHandler: () => {
        if (!openApiHandler) throw new Error('trpc-to-openapi registered no route');
        return openApiHandler;
      },
      // Counted under trpc-to-openapi's route, as before; helmet's headers set as computed once.
      routeOptions: { helmet: false, config: { metricsRoute: `${API_PREFIX}/*`, helmetHeaders } },
    });

  app.get(`${API_PREFIX}/openapi.json`, async () => openApiDocument);
  // openapi3-ts (3.1) and openapi-types (3.0) disagree on typings only; the JSON is the same document.
  const staticDocument = JSON.parse(JSON.stringify(openApiDocument)) as StaticDocumentSpec['document'];
  await app.register(swagger, { mode: 'static', specification: { document: staticDocument } });
  await app.register(swaggerUi, { routePrefix: `${API_PREFIX}/docs` });

  app.get('/healthz', async (_request, reply) => {
    const ok = await database.ping();
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', database: ok ? 'up' : 'down' });
  });

  const { dashboard } = await registerExtraRoutes(app, platform, helmetHeaders);
  // Video jobs are run here, from the queue in the database that every instance shares.
  platform.videoWorker.start(platform);

  let closed = false;
  return {
    app,
    platform,
    database,
    bootstrap,
    dashboard,
    close: async () => {
      if (closed) return;
      closed = true;
      // Running video jobs go back in the queue before the database closes.
      await platform.videoWorker.stop();
      await app.close();
      await rateLimits.close();
      await platform.inference.close();
      await started.close();
    },
  };
}

/** Whether the quote at `at` is escaped: an odd number of backslashes before it. */
function escaped(text: string, at: number): boolean {
  let backslashes = 0;
  while (text.charCodeAt(at - 1 - backslashes) === 0x5c) backslashes++;
  return backslashes % 2 === 1;
}

/** True when arrays/objects in the JSON text nest deeper than `max`; one pass, strings skipped. */
function jsonNestingExceeds(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string, which is most of a chat body's text: jump to its closing quote, the next one not
      // escaped (preceded by an even number of backslashes), rather than read it a character at a time.
      let end = i;
      do {
        end = text.indexOf('"', end + 1);
        if (end === -1) return false; // unterminated: the JSON parser refuses it
      } while (escaped(text, end));
      i = end;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

function sweepIntervalMs(...timeoutsMs: number[]): number {
  const shortest = Math.min(...timeoutsMs.filter((ms) => ms > 0));
  return Number.isFinite(shortest) ? Math.min(30_000, Math.max(25, Math.floor(shortest / 4))) : 30_000;
}

function toFastifyTrustProxy(value: boolean | string | number) {
  if (typeof value !== 'number') return value;
  // "Trust the nearest N hops", as Fastify's numeric trustProxy means.
  return (_address: string, hop: number) => hop < value;
}

function isJsonObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Shapes a REST body before validation (see the preValidation hook); throws the envelope's 400 for a body that is not an object. */
function shapeRestBody(request: FastifyRequest): void {
  if (request.body === undefined && request.method !== 'GET' && request.method !== 'DELETE' && request.url.startsWith(API_PREFIX)) {
    const length = request.headers['content-length'];
    if (!request.headers['content-type'] && (length === undefined || length === '0')) {
      request.headers['content-type'] = 'application/json';
      request.body = {};
    }
  }
  // PUT /applications/{app_id}/tools takes the set itself (`[{tool_id, …}]`, issue 16) as well as
  // `{tools: [...]}`, the object shape trpc-to-openapi can describe.
  if (request.method === 'PUT' && Array.isArray(request.body) && APP_TOOLS_PATH.test(request.url)) {
    request.body = { tools: request.body as unknown[] };
  }
  // Every body of the contract is a JSON object. trpc-to-openapi spreads the body into the input,
  // so `null`, `[]` or `"x"` would pass as an empty object and a PUT would answer 200 for nothing.
  const json = request.headers['content-type']?.toLowerCase().includes('json') === true;
  if (json && request.body !== undefined && request.url.startsWith(API_PREFIX) && !isJsonObject(request.body)) {
    throw new AppError('INVALID_REQUEST', { message: 'BODY_NOT_OBJECT' });
  }
}
