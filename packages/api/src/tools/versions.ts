// Tool versions (issue 16 part 1): what a version runs is fixed when it is published; a new version
// becomes the tool's current one, and the old ones stay callable for applications pinned to them.
import type { Database, ToolVersion } from '@maas/db';
import { type Kysely, sql } from 'kysely';
import type { z } from 'zod';
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import { listPage } from '../core/pagination.js';
import type { Platform } from '../core/platform.js';
import { toIso } from '../core/time.js';
import { insertVersion, resolveDefinition } from './definition.js';
import { invalidField } from './functions-schema.js';
import type { ListVersionsInput, PublishVersionInput } from './schemas.js';
import { findEditableTool, findVisibleTool } from './service.js';

function toVersion(row: ToolVersion, currentVersion: string) {
  return {
    tool_id: row.tool_id,
    version: row.version,
    kind: row.kind,
    endpoint_url: row.endpoint_url,
    server_url: row.server_url,
    functions: row.functions,
    current: row.version === currentVersion,
    created_at: toIso(row.created_at),
  };
}

/**
 * Publishes a new version and makes it current, in one transaction; a version that exists is a 409
 * (a version is immutable once published, since applications may be pinned to it).
 */
export async function publishVersion(platform: Platform, actor: Actor, input: z.infer<typeof PublishVersionInput>) {
  const tool = await findEditableTool(platform.db, actor, input.tool_id);
  const kind = input.kind ?? tool.kind;
  if (!kind) throw invalidField('kind', 'is required for the first callable version of a tool');
  const definition = await resolveDefinition(platform, input, kind);
  await platform.db.transaction().execute(async (trx) => {
    if (!(await insertVersion(trx, tool.id, input.version, definition))) {
      throw new AppError('CONFLICT', { message: 'TOOL_VERSION_EXISTS', params: { version: input.version }, details: { field: 'version' } });
    }
    await trx.updateTable('tools').set({ version: input.version, kind, updated_at: new Date() }).where('id', '=', tool.id).execute();
  });
  const row = await platform.db
    .selectFrom('tool_versions')
    .selectAll()
    .where('tool_id', '=', tool.id)
    .where('version', '=', input.version)
    .executeTakeFirstOrThrow();
  return toVersion(row, input.version);
}

/** Newest first; anyone who can see the tool can see its versions and their signatures. */
export async function listVersions(db: Kysely<Database>, viewer: Actor | null, input: z.infer<typeof ListVersionsInput>) {
  const tool = await findVisibleTool(db, viewer, input.tool_id);
  const query = db.selectFrom('tool_versions').where('tool_id', '=', tool.id);
  return listPage(
    input,
    {
      rows: query
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy(sql`version`, 'desc'),
      count: query,
    },
    (row) => toVersion(row, tool.version),
  );
}
