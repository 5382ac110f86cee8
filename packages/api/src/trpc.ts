import { initTRPC } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import type { UserRole } from '@maas/db';
import type { Actor, RequestContext } from './core/context.js';
import { AppError, describeError, type ErrorCode } from './core/errors.js';
import { DEFAULT_LOCALE } from './core/i18n.js';

export interface ProcedureMeta extends OpenApiMeta {
  /** A successful call answers 201 Created (creates). */
  created?: boolean;
  /**
   * Errors this procedure answers beyond those any operation may (400, 401, 403, 404, 413, 429,
   * 500, 503), so that the OpenAPI document lists their statuses too.
   */
  errors?: ErrorCode[];
  /**
   * Who may call it, set by the procedure builders below (tRPC merges a procedure's meta with its
   * builder's), so that the OpenAPI document's per-operation `security` follows the code: none for
   * public operations, optional where a caller is identified if it sends a credential.
   */
  auth?: 'none' | 'optional' | 'required';
}

const t = initTRPC
  .context<RequestContext>()
  .meta<ProcedureMeta>()
  .create({
    // Stack traces never reach a client, whatever NODE_ENV says.
    isDev: false,
    errorFormatter({ shape, error, ctx }) {
      const body = describeError(error, ctx?.locale ?? DEFAULT_LOCALE);
      return {
        message: body.message,
        code: shape.code,
        data: {
          code: body.code,
          httpStatus: body.status,
          message: body.message,
          details: body.details,
          request_id: ctx?.requestId ?? null,
          path: shape.data.path ?? null,
        },
      };
    },
  });

export const router = t.router;

export const publicProcedure = t.procedure.meta({ auth: 'none' });

/** A user (access token) or an API key; the actor is resolved once per request. */
export const authedProcedure = publicProcedure.meta({ auth: 'required' }).use(async ({ ctx, next }) => {
  const actor: Actor = ctx.actor ?? (await ctx.platform.authenticate(ctx));
  ctx.actor = actor;
  return next({ ctx: { ...ctx, actor } });
});

/** Public, but a caller who sends an Authorization header is identified (a bad one is a 401). */
export const viewerProcedure = publicProcedure.meta({ auth: 'optional' }).use(async ({ ctx, next }) => {
  const actor = ctx.authorization ? (ctx.actor ?? (await ctx.platform.authenticate(ctx))) : null;
  return next({ ctx: { ...ctx, actor } });
});

const ROLE_RANK: Record<UserRole, number> = { user: 0, developer: 1, admin: 2 };

function hasRole(actor: Actor, role: UserRole): boolean {
  return ROLE_RANK[actor.role] >= ROLE_RANK[role];
}

/** Requires at least the given role (admin > developer > user). */
function roleProcedure(role: UserRole) {
  return authedProcedure.use(({ ctx, next }) => {
    if (!hasRole(ctx.actor, role)) throw new AppError('FORBIDDEN', { message: 'ROLE_REQUIRED' });
    return next();
  });
}

export const developerProcedure = roleProcedure('developer');
/**
 * Every admin mutation is audited (who, what, on which object, the result), off the response path
 * but retried until written. Money movements are audited by the database itself (ledger trigger).
 */
export const adminProcedure = roleProcedure('admin').use(async ({ ctx, next, path, type, getRawInput }) => {
  const result = await next();
  if (type === 'mutation' && result.ok) {
    const input = await getRawInput().catch(() => undefined);
    ctx.platform.background.run('audit-admin-action', () =>
      ctx.platform.audit({
        actorId: ctx.actor.userId,
        action: path,
        ...auditTarget(input, result.data),
        before: null,
        after: { input, result: result.data },
        requestId: ctx.requestId,
        ip: ctx.ip,
      }),
    );
  }
  return result;
});

/** The object acted on: the input's first `*_id`, or for a create the new object's `id`. */
function auditTarget(input: unknown, output: unknown): { targetType: string | null; targetId: string | null } {
  if (typeof input === 'object' && input !== null) {
    for (const [key, value] of Object.entries(input)) {
      if (key.endsWith('_id') && typeof value === 'string') return { targetType: key.slice(0, -3), targetId: value };
    }
  }
  if (typeof output === 'object' && output !== null && 'id' in output && typeof output.id === 'string') {
    return { targetType: output.id.split('_')[0] ?? null, targetId: output.id };
  }
  return { targetType: null, targetId: null };
}
