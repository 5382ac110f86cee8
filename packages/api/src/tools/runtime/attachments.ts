// STAND-IN (H3's branch): H1 owns this file; the lead keeps H1's version at merge. Only the
// signature matters to the chat loop: the app's tools, resolved to a version, with exposed names.
import { decryptSecret } from '../../providers/secrets.js';
import type { Platform } from '../../core/platform.js';
import type { AppToolBinding } from './contract.js';

function slugOf(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'tool'
  );
}

/** The app's tools in attachment order, each with its functions as the model sees them. */
export async function loadAppToolBindings(platform: Platform, appId: string): Promise<AppToolBinding[]> {
  const rows = await platform.db
    .selectFrom('application_tools as at')
    .innerJoin('tools as t', 't.id', 'at.tool_id')
    .innerJoin('tool_versions as v', (join) =>
      join.onRef('v.tool_id', '=', 'at.tool_id').on((eb) => eb('v.version', '=', eb.fn.coalesce('at.version', 't.version'))),
    )
    .select(['at.tool_id', 'v.version', 'v.functions', 't.name', 'at.config', 'at.secret_config_enc', 'at.fixed_arguments'])
    .where('at.app_id', '=', appId)
    .orderBy('at.position')
    .execute();
  const used = new Set<string>();
  return rows.map((row) => {
    const secret = row.secret_config_enc
      ? (JSON.parse(decryptSecret(platform.config, row.secret_config_enc, `${appId}:${row.tool_id}`)) as Record<string, unknown>)
      : {};
    const fixed = row.fixed_arguments;
    return {
      toolId: row.tool_id,
      version: row.version,
      config: { ...row.config, ...secret },
      fixedArguments: fixed,
      functions: row.functions.map((fn) => {
        let exposedName = `t_${slugOf(row.name)}__${fn.name}`.slice(0, 64);
        for (let i = 2; used.has(exposedName); i++) exposedName = `${exposedName.slice(0, 60)}_${i}`;
        used.add(exposedName);
        const properties = { ...((fn.parameters.properties as Record<string, unknown> | undefined) ?? {}) };
        for (const key of Object.keys(fixed)) delete properties[key];
        const required = Array.isArray(fn.parameters.required) ? fn.parameters.required.filter((k) => !(k in fixed)) : undefined;
        return {
          exposedName,
          name: fn.name,
          description: fn.description,
          parameters: { ...fn.parameters, properties, ...(required ? { required } : {}) },
        };
      }),
    };
  });
}
