import { randomBytes } from 'node:crypto';
import type { Database, Tool, ToolsTable } from '@maas/db';
import { type Expression, type Kysely, sql, type Updateable } from 'kysely';
import type { z } from 'zod';
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { containsPattern } from '../core/like.js';
import { CURRENCY, nanoToAmount } from '../core/money.js';
import { isOwnerOrAdmin } from '../core/ownership.js';
import { listPage } from '../core/pagination.js';
import type { Platform } from '../core/platform.js';
import { toIso } from '../core/time.js';
import { encryptSecret } from '../providers/secrets.js';
import { assertObjectSchema, invalidField } from './functions-schema.js';
import type { CreateToolInput, ListToolsInput, UpdateToolInput } from './schemas.js';
import { hasDefinition, insertVersion, resolveDefinition, versionSummary } from './definition.js';

export type ToolWithAuthor = Tool & { author_username: string; calls_30d: number };

/** Successful calls of the tool in the last 30 days (tool_calls_tool_created_idx answers it). */
function calls30d(toolId: Expression<string>) {
  return sql<number>`(SELECT count(*)::int FROM tool_calls c WHERE c.tool_id = ${toolId} AND c.status = 'success' AND c.created_at > now() - interval '30 days')`;
}

/** Mean of the reviews rounded to 2 decimals (0 without reviews); display only, never money. */
function toolRating(ratingSum: number, ratingCount: number): number {
  return ratingCount === 0 ? 0 : Math.round((ratingSum * 100) / ratingCount) / 100;
}

export function toTool(tool: ToolWithAuthor) {
  return {
    id: tool.id,
    name: tool.name,
    description: tool.description,
    category: tool.category,
    price: nanoToAmount(tool.price_nano),
    rating: toolRating(tool.rating_sum, tool.rating_count),
    downloads: tool.downloads,
    author: { id: tool.author_id, username: tool.author_username },
    created_at: toIso(tool.created_at),
    kind: tool.kind,
    price_per_call: nanoToAmount(tool.price_per_call_nano),
    calls_30d: tool.calls_30d,
  };
}

/** Never the signing secret: it is shown once, in the create (or rotate) answer. */
async function toToolDetail(db: Kysely<Database>, tool: ToolWithAuthor, owned: boolean) {
  const summary = await versionSummary(db, tool.id, tool.version);
  return {
    ...toTool(tool),
    version: tool.version,
    full_description: tool.full_description,
    status: tool.status,
    currency: tool.currency,
    reviews_count: tool.rating_count,
    owned,
    updated_at: toIso(tool.updated_at),
    functions: summary.functions,
    config_schema: tool.config_schema,
    versions_count: summary.versionsCount,
  };
}

export function toolsWithAuthor(db: Kysely<Database>) {
  return db
    .selectFrom('tools')
    .innerJoin('users', 'users.id', 'tools.author_id')
    .selectAll('tools')
    .select('users.username as author_username')
    .select((eb) => calls30d(eb.ref('tools.id')).as('calls_30d'));
}

/**
 * A tool the viewer may see: published and unlisted ones for everyone (unlisted only by id),
 * drafts for their author and admins. Anything else is a 404 that does not reveal the tool.
 */
export async function findVisibleTool(db: Kysely<Database>, viewer: Actor | null, toolId: string): Promise<ToolWithAuthor> {
  const tool = await toolsWithAuthor(db).where('tools.id', '=', toolId).where('tools.deleted_at', 'is', null).executeTakeFirst();
  if (!tool || (tool.status === 'draft' && !isOwnerOrAdmin(viewer, tool.author_id))) {
    throw new AppError('NOT_FOUND', { message: 'TOOL_NOT_FOUND' });
  }
  return tool;
}

/** The tool, if the actor may change it: 404 when they cannot see it, 403 when they can but are not its author. */
export async function findEditableTool(db: Kysely<Database>, actor: Actor, toolId: string): Promise<ToolWithAuthor> {
  const tool = await findVisibleTool(db, actor, toolId);
  if (!isOwnerOrAdmin(actor, tool.author_id)) throw new AppError('FORBIDDEN', { message: 'TOOL_NOT_AUTHOR' });
  return tool;
}

export async function ownsTool(db: Kysely<Database>, userId: string, toolId: string): Promise<boolean> {
  const licence = await db
    .selectFrom('tool_licences')
    .select('order_id')
    .where('user_id', '=', userId)
    .where('tool_id', '=', toolId)
    .executeTakeFirst();
  return licence !== undefined;
}

/** The public catalogue: published tools only. */
export async function listTools(db: Kysely<Database>, input: z.infer<typeof ListToolsInput>) {
  let query = db
    .selectFrom('tools')
    .innerJoin('users', 'users.id', 'tools.author_id')
    .where('tools.status', '=', 'published')
    .where('tools.deleted_at', 'is', null);
  if (input.category) query = query.where('tools.category', '=', input.category);
  if (input.search) {
    const pattern = containsPattern(input.search);
    query = query.where((eb) => eb.or([eb(sql`lower(tools.name)`, 'like', pattern), eb(sql`lower(tools.description)`, 'like', pattern)]));
  }
  const direction = input.order ?? (input.sort === 'price' ? 'asc' : 'desc');
  const sortKey = {
    price: sql`tools.price_nano`,
    rating: sql`CASE WHEN tools.rating_count = 0 THEN 0 ELSE tools.rating_sum::numeric / tools.rating_count END`,
    downloads: sql`tools.downloads`,
    created_at: sql`tools.created_at`,
    calls_30d: sql`calls_30d`,
  }[input.sort];

  const rows = query
    .selectAll('tools')
    .select('users.username as author_username')
    .select((eb) => calls30d(eb.ref('tools.id')).as('calls_30d'))
    .orderBy(sortKey, direction)
    // A stable tie-break keeps pages from overlapping.
    .orderBy('tools.created_at', direction)
    .orderBy('tools.id', direction);
  return listPage(input, { rows, count: query }, toTool);
}

export async function getTool(db: Kysely<Database>, viewer: Actor | null, toolId: string) {
  const tool = await findVisibleTool(db, viewer, toolId);
  const owned = viewer ? await ownsTool(db, viewer.userId, tool.id) : false;
  return toToolDetail(db, tool, owned);
}

/** A new signing secret (`whsec_` and 32 random bytes) and its ciphertext, bound to the tool id. */
function newSigningSecret(platform: Platform, toolId: string) {
  const secret = `whsec_${randomBytes(32).toString('base64url')}`;
  return { secret, encrypted: encryptSecret(platform.config, secret, toolId) };
}

function configSchemaOf(schema: Record<string, unknown> | null | undefined): string | null | undefined {
  if (schema === undefined || schema === null) return schema;
  return JSON.stringify(assertObjectSchema(schema, 'config_schema'));
}

/**
 * Creates the tool and, when it is callable (`kind` given), its first version, in one transaction.
 * The signing secret is generated here and answered once.
 */
export async function createTool(platform: Platform, actor: Actor, input: z.infer<typeof CreateToolInput>) {
  const id = newId('tool');
  const definition = input.kind ? await resolveDefinition(platform, input, input.kind) : null;
  if (!definition && hasDefinition(input)) throw invalidField('kind', 'is required with endpoint_url, functions, openapi or server_url');
  const signing = newSigningSecret(platform, id);
  const configSchema = configSchemaOf(input.config_schema);
  await platform.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('tools')
      .values({
        id,
        author_id: actor.userId,
        name: input.name,
        description: input.description,
        full_description: input.full_description,
        category: input.category,
        version: input.version,
        price_nano: input.price,
        currency: CURRENCY,
        status: input.status,
        kind: definition?.kind ?? null,
        price_per_call_nano: input.price_per_call ?? 0n,
        config_schema: configSchema ?? null,
        signing_secret_enc: signing.encrypted,
      })
      .execute();
    if (definition) await insertVersion(trx, id, input.version, definition);
  });
  return { ...(await getTool(platform.db, actor, id)), signing_secret: signing.secret };
}

/** Replaces the signing secret; the new one is answered once, and calls are signed with it from now on. */
export async function rotateSigningSecret(platform: Platform, actor: Actor, toolId: string) {
  const tool = await findEditableTool(platform.db, actor, toolId);
  const signing = newSigningSecret(platform, tool.id);
  await platform.db
    .updateTable('tools')
    .set({ signing_secret_enc: signing.encrypted, updated_at: new Date() })
    .where('id', '=', tool.id)
    .execute();
  return { tool_id: tool.id, signing_secret: signing.secret };
}

export async function updateTool(platform: Platform, actor: Actor, input: z.infer<typeof UpdateToolInput>) {
  const { db } = platform;
  const tool = await findEditableTool(db, actor, input.tool_id);
  const changes: Updateable<ToolsTable> = {};
  if (input.name !== undefined) changes.name = input.name;
  if (input.description !== undefined) changes.description = input.description;
  if (input.full_description !== undefined) changes.full_description = input.full_description;
  if (input.category !== undefined) changes.category = input.category;
  if (input.price !== undefined) changes.price_nano = input.price;
  if (input.version !== undefined && input.version !== tool.version) {
    // A callable tool's current version must be a published one: new ones go through POST /versions.
    if (tool.kind !== null) {
      const exists = await db
        .selectFrom('tool_versions')
        .select('version')
        .where('tool_id', '=', tool.id)
        .where('version', '=', input.version)
        .executeTakeFirst();
      if (!exists) throw invalidField('version', 'is not a published version; publish it with POST /api/v1/tools/{tool_id}/versions');
    }
    changes.version = input.version;
  }
  if (input.status !== undefined) changes.status = input.status;
  if (input.price_per_call !== undefined) changes.price_per_call_nano = input.price_per_call;
  const configSchema = configSchemaOf(input.config_schema);
  if (configSchema !== undefined) changes.config_schema = configSchema;
  if (Object.keys(changes).length > 0) {
    const updated = await db
      .updateTable('tools')
      .set({ ...changes, updated_at: new Date() })
      .where('id', '=', tool.id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (updated.numUpdatedRows === 0n) throw new AppError('NOT_FOUND', { message: 'TOOL_NOT_FOUND' });
  }
  return getTool(db, actor, tool.id);
}

/** Soft delete: buyers keep their licence and order history; the tool leaves the catalogue. */
export async function deleteTool(db: Kysely<Database>, actor: Actor, toolId: string) {
  const tool = await findEditableTool(db, actor, toolId);
  const deleted = await db
    .updateTable('tools')
    .set({ deleted_at: new Date(), updated_at: new Date() })
    .where('id', '=', tool.id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (deleted.numUpdatedRows === 0n) throw new AppError('NOT_FOUND', { message: 'TOOL_NOT_FOUND' });
  return { id: tool.id, deleted: true as const };
}
