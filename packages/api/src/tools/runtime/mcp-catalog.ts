import { sql } from 'kysely';
import type { ToolFunctionJson } from '@maas/db';
import type { Actor } from '../../core/context.js';
import type { Platform } from '../../core/platform.js';
import { exposedToolName } from './naming.js';

/** One tool function as the platform's MCP endpoint offers it to a key's user. */
export interface McpExposedFunction {
  exposedName: string;
  toolId: string;
  toolName: string;
  version: string;
  function: ToolFunctionJson;
  pricePerCallNano: bigint;
}

/** Tools beyond this many are not listed (an MCP client shows every function to its model). */
const MAX_TOOLS = 200;

function requiresConfig(configSchema: Record<string, unknown> | null): boolean {
  const required = configSchema?.required;
  return Array.isArray(required) && required.length > 0;
}

/**
 * The functions a user reaches through `/mcp` (issue 16 part 5): those of the callable tools they
 * wrote or hold a licence for (bought, or acquired free), at each tool's current version. A tool
 * whose config has required fields is left out: an MCP client has no install step to supply
 * them, so every call would fail. Names are given in a stable order (tool name, id, function), so
 * a client sees the same name for a function from one request to the next.
 */
export async function listMcpFunctionsFor(platform: Platform, actor: Actor): Promise<McpExposedFunction[]> {
  // The key's allow-list narrows the tools (issue 16 part 5); null allows all of them.
  const allowed = actor.apiKeyId === null ? null : ((await platform.apiKeys.policy(actor.apiKeyId))?.allowedTools ?? null);
  if (allowed !== null && allowed.length === 0) return [];
  let query = platform.db
    .selectFrom('tools')
    .innerJoin('tool_versions', (join) =>
      join.onRef('tool_versions.tool_id', '=', 'tools.id').on(
        'tool_versions.version',
        '=',
        // The tool's current version, or its newest one if that is not a published version.
        sql<string>`(SELECT v.version FROM tool_versions v WHERE v.tool_id = tools.id
                     ORDER BY (v.version = tools.version) DESC, v.created_at DESC LIMIT 1)`,
      ),
    )
    .select([
      'tools.id',
      'tools.name',
      'tools.price_per_call_nano',
      'tools.config_schema',
      'tool_versions.version',
      'tool_versions.functions',
    ])
    .where('tools.kind', 'is not', null)
    .where('tools.deleted_at', 'is', null)
    .where((eb) =>
      eb.or([
        eb('tools.author_id', '=', actor.userId),
        eb.and([
          eb('tools.status', '!=', 'draft'),
          eb.exists(
            eb
              .selectFrom('tool_licences')
              .select('tool_licences.order_id')
              .whereRef('tool_licences.tool_id', '=', 'tools.id')
              .where('tool_licences.user_id', '=', actor.userId),
          ),
        ]),
      ]),
    )
    .orderBy('tools.name')
    .orderBy('tools.id')
    .limit(MAX_TOOLS);
  if (allowed !== null) query = query.where('tools.id', 'in', allowed);
  const rows = await query.execute();
  const taken = new Set<string>();
  const exposed: McpExposedFunction[] = [];
  for (const row of rows) {
    if (requiresConfig(row.config_schema)) continue;
    for (const fn of row.functions) {
      exposed.push({
        exposedName: exposedToolName(row.name, fn.name, taken),
        toolId: row.id,
        toolName: row.name,
        version: row.version,
        function: fn,
        pricePerCallNano: row.price_per_call_nano,
      });
    }
  }
  return exposed;
}
