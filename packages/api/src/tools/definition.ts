// What a tool version runs (issue 16 part 1): validated, with an MCP server's functions read from
// its tools/list, before it is stored; the version rows and the summary a tool's detail shows.
import type { Database, ToolFunctionJson, ToolKind } from '@maas/db';
import { type Kysely, sql } from 'kysely';
import type { Platform } from '../core/platform.js';
import { invalidField, validateFunctions } from './functions-schema.js';
import { importOpenApi } from './openapi-import.js';
import { listMcpFunctions } from './runtime/mcp-client.js';

/** How long reading an MCP server's tools/list may take when a version is published. */
const MCP_LIST_TIMEOUT_MS = 15_000;

export interface DefinitionInput {
  kind?: ToolKind | undefined;
  endpoint_url?: string | undefined;
  server_url?: string | undefined;
  functions?: Array<{ name: string; description: string; parameters: Record<string, unknown> }> | undefined;
  openapi?: Record<string, unknown> | undefined;
}

export interface VersionDefinition {
  kind: ToolKind;
  endpointUrl: string | null;
  serverUrl: string | null;
  functions: ToolFunctionJson[];
  openapi: Record<string, unknown> | null;
}

/** The platform's own demo tools (issue 16 part 7) live on its own origin, under /demo/tools/. */
function isOwnDemoRoute(platform: Platform, url: URL): boolean {
  return url.origin === new URL(platform.config.publicUrl).origin && url.pathname.startsWith('/demo/tools/');
}

/**
 * An endpoint an author may save: http(s), no credentials in it, and (unless private upstreams are
 * allowed) resolving to public addresses now. The connect-time guard is what really keeps private
 * addresses out; this is the early, named refusal.
 */
export async function checkEndpointUrl(platform: Platform, raw: string, field: string): Promise<string> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidField(field, 'must be an absolute http(s) URL');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.hash) {
    throw invalidField(field, 'must be an http(s) URL without credentials or fragment');
  }
  if (isOwnDemoRoute(platform, url)) return url.toString();
  const verdict = await platform.outbound.checkUrl(url);
  if (verdict === 'private') throw invalidField(field, 'resolves to a private address');
  if (verdict === 'unresolvable') throw invalidField(field, 'does not resolve');
  return url.toString();
}

/** Validates what a version runs, reading an MCP server's functions when the kind is mcp. */
export async function resolveDefinition(platform: Platform, input: DefinitionInput, kind: ToolKind): Promise<VersionDefinition> {
  if (kind === 'mcp') {
    for (const field of ['endpoint_url', 'functions', 'openapi'] as const) {
      if (input[field] !== undefined) throw invalidField(field, 'is for http tools; an mcp tool announces its functions itself');
    }
    if (!input.server_url) throw invalidField('server_url', 'is required for an mcp tool');
    const serverUrl = await checkEndpointUrl(platform, input.server_url, 'server_url');
    let listed: ToolFunctionJson[];
    try {
      listed = await listMcpFunctions(platform, serverUrl, AbortSignal.timeout(MCP_LIST_TIMEOUT_MS));
    } catch (error) {
      throw invalidField('server_url', `tools/list failed: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500));
    }
    return { kind, endpointUrl: null, serverUrl, functions: validateFunctions(listed, 'server_url(tools/list)'), openapi: null };
  }
  if (input.server_url !== undefined) throw invalidField('server_url', 'is for mcp tools');
  if (input.functions !== undefined && input.openapi !== undefined)
    throw invalidField('openapi', 'give either functions or openapi, not both');
  let functions: ToolFunctionJson[];
  let endpoint = input.endpoint_url;
  if (input.openapi !== undefined) {
    const imported = importOpenApi(input.openapi);
    functions = validateFunctions(imported.functions, 'openapi');
    endpoint ??= imported.endpointUrl ?? undefined;
  } else if (input.functions !== undefined) {
    functions = validateFunctions(input.functions);
  } else {
    throw invalidField('functions', 'an http tool needs functions (or an openapi document)');
  }
  if (!endpoint) throw invalidField('endpoint_url', 'is required for an http tool');
  const endpointUrl = await checkEndpointUrl(platform, endpoint, 'endpoint_url');
  return { kind, endpointUrl, serverUrl: null, functions, openapi: input.openapi ?? null };
}

export function hasDefinition(input: DefinitionInput): boolean {
  return [input.kind, input.endpoint_url, input.server_url, input.functions, input.openapi].some((value) => value !== undefined);
}

export async function insertVersion(
  db: Kysely<Database>,
  toolId: string,
  version: string,
  definition: VersionDefinition,
): Promise<boolean> {
  const inserted = await db
    .insertInto('tool_versions')
    .values({
      tool_id: toolId,
      version,
      kind: definition.kind,
      endpoint_url: definition.endpointUrl,
      server_url: definition.serverUrl,
      functions: JSON.stringify(definition.functions),
      openapi: definition.openapi ? JSON.stringify(definition.openapi) : null,
    })
    .onConflict((oc) => oc.columns(['tool_id', 'version']).doNothing())
    .returning('version')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** The current version's functions and the number of versions, for the tool's detail. */
export async function versionSummary(db: Kysely<Database>, toolId: string, currentVersion: string) {
  const [current, count] = await Promise.all([
    db
      .selectFrom('tool_versions')
      .select('functions')
      .where('tool_id', '=', toolId)
      .where('version', '=', currentVersion)
      .executeTakeFirst(),
    db
      .selectFrom('tool_versions')
      .select(sql<number>`count(*)::int`.as('total'))
      .where('tool_id', '=', toolId)
      .executeTakeFirstOrThrow(),
  ]);
  return { functions: current?.functions ?? [], versionsCount: count.total };
}
