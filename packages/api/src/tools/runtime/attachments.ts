// An application's tools as the chat loop offers and calls them (issue 16 part 2). One query per
// call, nothing cached: an attachment changed on any instance is seen by the next message.
import type { ToolFunctionJson } from '@maas/db';
import { sql } from 'kysely';
import type { Platform } from '../../core/platform.js';
import { decryptSecret } from '../../providers/secrets.js';
import type { AppToolBinding, ModelFacingFunction } from './contract.js';

const MAX_EXPOSED_NAME = 64;

/** The AAD of an attachment's secret config: a ciphertext copied to another app or tool does not decrypt. */
export function attachmentSecretBinding(appId: string, toolId: string): string {
  return `${appId}:${toolId}`;
}

/** A tool name as a name prefix: lower-case [a-z0-9_-], `tool` when nothing is left. */
export function toolSlug(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^[_-]+|[_-]+$/g, '');
  return slug || 'tool';
}

/**
 * `t_<slug>__<function>`, at most 64 characters, unique among `taken`: the slug is shortened first,
 * then a numeric suffix on the slug tells apart two tools whose names shorten alike.
 */
export function exposedName(slug: string, functionName: string, taken: Set<string>): string {
  for (let n = 1; ; n++) {
    const suffix = n === 1 ? '' : `${n}`;
    // 't_' + slug + suffix + '__' + function, keeping at least one character of the slug.
    const fn = functionName.slice(0, MAX_EXPOSED_NAME - 5 - suffix.length);
    const room = MAX_EXPOSED_NAME - 4 - fn.length - suffix.length;
    const name = `t_${slug.slice(0, room)}${suffix}__${fn}`;
    if (!taken.has(name)) {
      taken.add(name);
      return name;
    }
  }
}

/** The schema the model sees: fixed arguments are the installer's, so they leave `properties` and `required`. */
export function withoutFixed(parameters: Record<string, unknown>, fixed: Record<string, unknown>): Record<string, unknown> {
  const names = Object.keys(fixed);
  if (names.length === 0) return parameters;
  const out: Record<string, unknown> = { ...parameters };
  const properties = parameters.properties;
  if (properties && typeof properties === 'object' && !Array.isArray(properties)) {
    out.properties = Object.fromEntries(Object.entries(properties).filter(([name]) => !names.includes(name)));
  }
  if (Array.isArray(parameters.required)) {
    out.required = parameters.required.filter((name) => !names.includes(name as string));
  }
  return out;
}

export function modelFacingFunctions(
  slug: string,
  functions: ToolFunctionJson[],
  fixed: Record<string, unknown>,
  taken: Set<string>,
): ModelFacingFunction[] {
  return functions.map((fn) => ({
    exposedName: exposedName(slug, fn.name, taken),
    name: fn.name,
    description: fn.description,
    parameters: withoutFixed(fn.parameters, fixed),
  }));
}

/** The app's tools in their order, with the resolved version's functions and the decrypted config. */
export async function loadAppToolBindings(platform: Platform, appId: string): Promise<AppToolBinding[]> {
  const rows = await platform.db
    .selectFrom('application_tools as at')
    .innerJoin('tools as t', 't.id', 'at.tool_id')
    .innerJoin('tool_versions as v', (join) =>
      join.onRef('v.tool_id', '=', 'at.tool_id').on(sql`v.version`, '=', sql`coalesce(at.version, t.version)`),
    )
    .select(['at.tool_id', 'at.config', 'at.secret_config_enc', 'at.fixed_arguments', 't.name', 'v.version', 'v.functions'])
    .where('at.app_id', '=', appId)
    .where('t.deleted_at', 'is', null)
    .where('t.kind', 'is not', null)
    .orderBy('at.position')
    .orderBy('at.tool_id')
    .execute();
  const taken = new Set<string>();
  return rows.map((row) => {
    const secrets = row.secret_config_enc
      ? (JSON.parse(decryptSecret(platform.config, row.secret_config_enc, attachmentSecretBinding(appId, row.tool_id))) as Record<
          string,
          unknown
        >)
      : {};
    return {
      toolId: row.tool_id,
      version: row.version,
      functions: modelFacingFunctions(toolSlug(row.name), row.functions, row.fixed_arguments, taken),
      config: { ...row.config, ...secrets },
      fixedArguments: row.fixed_arguments,
    };
  });
}
