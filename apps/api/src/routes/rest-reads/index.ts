import { type AnyTRPCProcedure, type AnyTRPCRouter, getTRPCErrorFromUnknown, TRPCError } from '@trpc/server';
import { middlewareMarker } from '@trpc/server/unstable-core-do-not-import';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod, RouteOptions } from 'fastify';
import {
  coerceSchema,
  getInputOutputParsers,
  getPathRegExp,
  instanceofZodTypeKind,
  instanceofZodTypeLikeVoid,
  instanceofZodTypeObject,
  instanceofZodTypeOptional,
  normalizePath,
  unwrapZodType,
} from 'trpc-to-openapi';
import type { z } from 'zod';
import { compileOutputSerializer, type OutputSerializer } from './output-serializer.js';

/**
 * Plain Fastify routes for the hot REST reads (issue 18 target 1), generated from the procedures
 * themselves: path and method from their `meta.openapi`, input and output from their zod schemas,
 * auth and everything else from their own middlewares, so the router stays the one source of truth.
 *
 * A request they serve is answered as trpc-to-openapi would answer it — same input (query values,
 * path parameters, coercion), same middlewares and input parse, same status, same JSON bytes, and
 * every error thrown to the host's error handler, which renders the envelope — without what it
 * redoes per request: parsing the URL, scanning every procedure's path, coercing the schema,
 * building a caller proxy and a fetch Request with an abort signal. The output is checked and
 * written in one pass by a serializer compiled from the output schema (output-serializer.ts),
 * which hands anything it cannot vouch for back to the zod parse the procedure would have run.
 *
 * A request whose raw path is not plain (percent-escapes, dots, a path another procedure claims
 * first) is passed to trpc-to-openapi's own handler, so that odd URLs keep their odd answers.
 */
export interface RestReadsOptions {
  /** The router served by trpc-to-openapi at `prefix`. */
  router: AnyTRPCRouter;
  /** Dotted paths of the query procedures to serve (e.g. `models.list`). */
  procedures: readonly string[];
  /** `/api/v1`. */
  prefix: string;
  /** The context trpc-to-openapi would create for this request. */
  createContext(request: FastifyRequest, reply: FastifyReply): unknown;
  /** The success status trpc-to-openapi's responseMeta gives this procedure. */
  successStatus(procedurePath: string): number;
  /** trpc-to-openapi's own route handler, for the requests these routes pass on. */
  openApiHandler(): RouteHandlerMethod;
  /** Options added to every route (e.g. the metrics label, helmet's). */
  routeOptions?: Omit<RouteOptions, 'method' | 'url' | 'handler'>;
}

/** What one middleware of a procedure is given and answers (tRPC's own chain, see callRecursive). */
interface MiddlewareOptions {
  ctx: unknown;
  type: 'query';
  path: string;
  input: unknown;
  getRawInput: () => Promise<unknown>;
  signal: AbortSignal | undefined;
  batchIndex: number;
}
type MiddlewareResult = { ok: true; data: unknown; ctx?: unknown } | { ok: false; error: TRPCError };
type Middleware = ((options: MiddlewareOptions & { meta: unknown; next: Next }) => Promise<MiddlewareResult>) & { _type?: string };
type Next = (options?: { ctx?: object; input?: unknown; getRawInput?: () => Promise<unknown> }) => Promise<MiddlewareResult>;

interface ProcedureDef {
  type: string;
  meta?: { openapi?: { method: string; path: string } };
  middlewares: Middleware[];
}

/** Characters a path parameter may have for the route to answer it itself (what the URL parser leaves alone). */
const PLAIN_PARAMETER = '[A-Za-z0-9_~-]+';

/** A procedure of the router by its path, with its input and output schemas as trpc-to-openapi reads them. */
export function procedureAt(router: AnyTRPCRouter, path: string): { procedure: AnyTRPCProcedure; input: z.ZodType; output: z.ZodType } {
  const procedure = (router._def.procedures as Record<string, AnyTRPCProcedure | undefined>)[path];
  if (!procedure) throw new Error(`rest reads: no procedure ${path}`);
  const { inputParser, outputParser } = getInputOutputParsers(procedure) as { inputParser: z.ZodType; outputParser: z.ZodType };
  return { procedure, input: inputParser, output: outputParser };
}

export function registerRestReads(app: FastifyInstance, options: RestReadsOptions): void {
  const procedures = options.router._def.procedures as Record<string, AnyTRPCProcedure>;
  // trpc-to-openapi serves a path with the first procedure of its method whose path matches it.
  const openApiOrder = Object.entries(procedures).flatMap(([path, procedure]) => {
    const openapi = definitionOf(procedure).meta?.openapi;
    return openapi ? [{ path, method: openapi.method, matches: getPathRegExp(normalizePath(openapi.path)) }] : [];
  });
  for (const procedurePath of options.procedures) {
    const claimants = openApiOrder.filter((entry) => entry.method === 'GET');
    registerRead(app, options, procedurePath, procedureAt(options.router, procedurePath), claimants);
  }
}

function registerRead(
  app: FastifyInstance,
  options: RestReadsOptions,
  procedurePath: string,
  { procedure, input: inputParser, output: outputParser }: ReturnType<typeof procedureAt>,
  claimants: { path: string; matches: RegExp }[],
): void {
  const def = definitionOf(procedure);
  const openapi = def.meta?.openapi;
  if (def.type !== 'query' || openapi?.method !== 'GET') throw new Error(`rest reads: ${procedurePath} is not a GET query`);
  // Output validation moves from the chain to the serializer; the middlewares of a query never read
  // the result (only the admin audit does, for mutations), so they see the same thing either way.
  const outputMiddlewares = def.middlewares.filter((middleware) => middleware._type === 'output');
  if (outputMiddlewares.length !== 1) throw new Error(`rest reads: ${procedurePath} needs exactly one output schema`);
  const chain = def.middlewares.filter((middleware) => middleware._type !== 'output');
  const serialize: OutputSerializer = compileOutputSerializer(outputParser);

  const inputSchema = unwrapZodType(inputParser, true);
  const voidInput = instanceofZodTypeLikeVoid(inputSchema);
  const objectInput = instanceofZodTypeObject(inputSchema);
  const shape: Readonly<Record<string, z.core.$ZodType>> = instanceofZodTypeObject(inputSchema) ? inputSchema.shape : {};
  // Query keys whose schema is an array: a single value is wrapped, as trpc-to-openapi does.
  const arrayKeys = Object.entries(shape)
    .filter(
      ([, field]) =>
        instanceofZodTypeKind(field, 'array') || (instanceofZodTypeOptional(field) && instanceofZodTypeKind(field.unwrap(), 'array')),
    )
    .map(([key]) => key);
  // trpc-to-openapi coerces the schema's fields on each call; once is the same thing.
  let coerced = false;

  const openApiPath = normalizePath(openapi.path);
  const parameterNames = [...openApiPath.matchAll(/\{(.+?)\}/g)].map(([, name]) => name!);
  const fastifyPath = `${options.prefix}${openApiPath.replace(/\{(.+?)\}/g, ':$1')}`;
  const plainPath = new RegExp(
    `^${escapeRegExp(options.prefix)}${openApiPath
      .split(/\{.+?\}/)
      .map(escapeRegExp)
      .join(`(${PLAIN_PARAMETER})`)}$`,
  );
  // Which procedure trpc-to-openapi serves a path with depends on the path alone: for a path
  // without parameters that is known now, for one with parameters it is looked up per request.
  const servedBy = (path: string) => claimants.find((claimant) => claimant.matches.test(path))?.path;
  const staticallyOurs = parameterNames.length === 0 ? servedBy(openApiPath) === procedurePath : undefined;
  const status = options.successStatus(procedurePath);
  const run = (index: number, call: MiddlewareOptions): Promise<MiddlewareResult> => runChain(chain, def.meta, index, call);

  const handler = async function restRead(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
    const url = request.url;
    const queryAt = url.indexOf('?');
    const rawPath = queryAt === -1 ? url : url.slice(0, queryAt);
    const plain = plainPath.exec(rawPath);
    // What trpc-to-openapi would serve this path with: this procedure, or the request is passed on.
    if (plain === null || !(staticallyOurs ?? servedBy(rawPath.slice(options.prefix.length)) === procedurePath)) {
      return options.openApiHandler().call(this, request, reply);
    }

    let input: Record<string, unknown> | undefined;
    if (!voidInput) {
      input = {};
      const query = request.query as Record<string, string | string[] | undefined>;
      for (const key of Object.keys(query)) {
        const value = query[key];
        if (value) input[key] = Array.isArray(value) && value.length === 1 ? value[0] : value;
      }
      for (const [index, name] of parameterNames.entries()) input[name] = plain[index + 1];
      if (objectInput) {
        for (const key of arrayKeys) if (input[key] !== undefined && !Array.isArray(input[key])) input[key] = [input[key]];
        if (!coerced) {
          coerceSchema(inputSchema);
          coerced = true;
        }
      }
    }

    const result = await run(0, {
      ctx: options.createContext(request, reply),
      type: 'query',
      path: procedurePath,
      input: undefined,
      getRawInput: async () => input,
      signal: undefined,
      batchIndex: 0,
    });
    if (!result)
      throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'No result from middlewares - did you forget to `return next()`?' });
    if (!result.ok) throw result.error;
    const json = serialize(result.data) ?? JSON.stringify(await parseOutput(outputParser, result.data));
    return reply.code(status).header('content-type', 'application/json; charset=utf-8').send(json);
  };

  // No HEAD route: a HEAD stays trpc-to-openapi's (it answers 204 to any).
  app.route({ method: 'GET', url: fastifyPath, exposeHeadRoute: false, ...options.routeOptions, handler });
}

/** tRPC's middleware chain (callRecursive in @trpc/server), run over a procedure's own middlewares. */
async function runChain(chain: Middleware[], meta: unknown, index: number, call: MiddlewareOptions): Promise<MiddlewareResult> {
  try {
    const middleware = chain[index]!;
    return await middleware({
      ...call,
      meta,
      next: (next) =>
        runChain(chain, meta, index + 1, {
          ...call,
          ctx: next?.ctx ? { ...(call.ctx as object), ...next.ctx } : call.ctx,
          input: next && 'input' in next ? next.input : call.input,
          getRawInput: next?.getRawInput ?? call.getRawInput,
        }),
    });
  } catch (cause) {
    return { ok: false, error: getTRPCErrorFromUnknown(cause), marker: middlewareMarker } as MiddlewareResult;
  }
}

/** The output middleware's own parse and error (createOutputMiddleware in @trpc/server). */
async function parseOutput(schema: z.ZodType, data: unknown): Promise<unknown> {
  try {
    return await schema.parseAsync(data);
  } catch (cause) {
    throw new TRPCError({ message: 'Output validation failed', code: 'INTERNAL_SERVER_ERROR', cause });
  }
}

/** A procedure's definition with its middlewares, which tRPC's public type leaves out (it builds them in the builder). */
function definitionOf(procedure: AnyTRPCProcedure): ProcedureDef {
  const def: object = procedure._def;
  if (!('middlewares' in def) || !Array.isArray(def.middlewares)) throw new Error('rest reads: a tRPC procedure without middlewares');
  return def as ProcedureDef;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
