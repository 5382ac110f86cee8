import type { Database, Tool, ToolsTable } from '@maas/db';
import { type Kysely, sql, type Updateable } from 'kysely';
import type { z } from 'zod';
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { containsPattern } from '../core/like.js';
import { CURRENCY, nanoToAmount } from '../core/money.js';
import { isOwnerOrAdmin } from '../core/ownership.js';
import { listPage } from '../core/pagination.js';
import { toIso } from '../core/time.js';
import type { CreateToolInput, ListToolsInput, UpdateToolInput } from './schemas.js';

export type ToolWithAuthor = Tool & { author_username: string };

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
  };
}

function toToolDetail(tool: ToolWithAuthor, owned: boolean) {
  return {
    ...toTool(tool),
    version: tool.version,
    full_description: tool.full_description,
    status: tool.status,
    currency: tool.currency,
    reviews_count: tool.rating_count,
    owned,
    updated_at: toIso(tool.updated_at),
  };
}

export function toolsWithAuthor(db: Kysely<Database>) {
  return db
    .selectFrom('tools')
    .innerJoin('users', 'users.id', 'tools.author_id')
    .selectAll('tools')
    .select('users.username as author_username');
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
async function findEditableTool(db: Kysely<Database>, actor: Actor, toolId: string): Promise<ToolWithAuthor> {
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
  }[input.sort];

  const rows = query
    .selectAll('tools')
    .select('users.username as author_username')
    .orderBy(sortKey, direction)
    // A stable tie-break keeps pages from overlapping.
    .orderBy('tools.created_at', direction)
    .orderBy('tools.id', direction);
  return listPage(input, { rows, count: query }, toTool);
}

export async function getTool(db: Kysely<Database>, viewer: Actor | null, toolId: string) {
  const tool = await findVisibleTool(db, viewer, toolId);
  const owned = viewer ? await ownsTool(db, viewer.userId, tool.id) : false;
  return toToolDetail(tool, owned);
}

export async function createTool(db: Kysely<Database>, actor: Actor, input: z.infer<typeof CreateToolInput>) {
  const id = newId('tool');
  await db
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
    })
    .execute();
  return getTool(db, actor, id);
}

export async function updateTool(db: Kysely<Database>, actor: Actor, input: z.infer<typeof UpdateToolInput>) {
  const tool = await findEditableTool(db, actor, input.tool_id);
  const changes: Updateable<ToolsTable> = {};
  if (input.name !== undefined) changes.name = input.name;
  if (input.description !== undefined) changes.description = input.description;
  if (input.full_description !== undefined) changes.full_description = input.full_description;
  if (input.category !== undefined) changes.category = input.category;
  if (input.price !== undefined) changes.price_nano = input.price;
  if (input.version !== undefined) changes.version = input.version;
  if (input.status !== undefined) changes.status = input.status;
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
