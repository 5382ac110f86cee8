// Attaching tools to an application (issue 16 part 2): GET and PUT /applications/{app_id}/tools.
// The PUT replaces the whole set in one transaction. Only a tool the app's owner bought, wrote, or
// that is free can be attached; a free tool's first attach acquires it (a zero-price order), so it
// counts once in `downloads` like a purchase. Secret config fields are encrypted, bound to the app
// and the tool, and never shown again.
import type { Application, Database, Tool, ToolFunctionJson, ToolVersion } from '@maas/db';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import { nanoToAmount } from '../core/money.js';
import { isOwnerOrAdmin } from '../core/ownership.js';
import type { Platform } from '../core/platform.js';
import { decryptSecret, encryptSecret } from '../providers/secrets.js';
import { assertMatches, invalidField, secretFields } from './functions-schema.js';
import { purchaseTool } from './purchase.js';
import { attachmentSecretBinding, loadAppToolBindings } from './runtime/attachments.js';
import type { SetAppToolsInput } from './schemas.js';
import { ownsTool } from './service.js';

type AppToolItem = z.infer<typeof SetAppToolsInput>['tools'][number];

interface PreparedAttachment {
  toolId: string;
  version: string | null;
  config: Record<string, unknown>;
  secrets: Record<string, unknown>;
  fixedArguments: Record<string, unknown>;
  /** A free tool the owner does not hold yet: acquired before the set is written. */
  install: boolean;
}

/** Another user's application is a 404, as everywhere else. */
async function findOwnApplication(db: Kysely<Database>, actor: Actor, appId: string): Promise<Application> {
  const app = await db.selectFrom('applications').selectAll().where('id', '=', appId).executeTakeFirst();
  if (!app || !isOwnerOrAdmin(actor, app.owner_id)) throw new AppError('NOT_FOUND', { message: 'APP_NOT_FOUND' });
  return app;
}

function storedSecrets(platform: Platform, appId: string, toolId: string, enc: string | null): Record<string, unknown> {
  if (!enc) return {};
  return JSON.parse(decryptSecret(platform.config, enc, attachmentSecretBinding(appId, toolId))) as Record<string, unknown>;
}

/** Each fixed argument must be a parameter of at least one function, and valid for each that has it. */
function assertFixedArguments(functions: ToolFunctionJson[], fixed: Record<string, unknown>, field: string): void {
  for (const [name, value] of Object.entries(fixed)) {
    const schemas = functions
      .map((fn) => (fn.parameters.properties as Record<string, unknown> | undefined)?.[name])
      .filter((schema): schema is Record<string, unknown> => typeof schema === 'object' && schema !== null);
    if (schemas.length === 0) throw invalidField(`${field}.${name}`, 'is not a parameter of any function of this version');
    for (const schema of schemas) assertMatches(schema, value, `${field}.${name}`);
  }
}

async function prepare(
  platform: Platform,
  app: Application,
  item: AppToolItem,
  index: number,
  tool: Tool | undefined,
  stored: Map<string, string | null>,
): Promise<PreparedAttachment> {
  const at = `tools[${index}]`;
  // A draft is visible to its author only; to anyone else it does not exist.
  if (!tool || (tool.status === 'draft' && tool.author_id !== app.owner_id)) {
    throw new AppError('NOT_FOUND', { message: 'TOOL_NOT_FOUND', details: { field: `${at}.tool_id`, tool_id: item.tool_id } });
  }
  if (tool.kind === null) {
    throw new AppError('INVALID_REQUEST', { message: 'TOOL_NOT_CALLABLE', details: { field: `${at}.tool_id`, tool_id: tool.id } });
  }
  const owned = tool.author_id === app.owner_id || (await ownsTool(platform.db, app.owner_id, tool.id));
  if (!owned && tool.price_nano > 0n) {
    throw new AppError('FORBIDDEN', {
      message: 'TOOL_NOT_ENTITLED',
      details: { field: `${at}.tool_id`, tool_id: tool.id, reason: 'not_purchased' },
    });
  }
  const versionName = item.version ?? tool.version;
  const version: Pick<ToolVersion, 'functions'> | undefined = await platform.db
    .selectFrom('tool_versions')
    .select('functions')
    .where('tool_id', '=', tool.id)
    .where('version', '=', versionName)
    .executeTakeFirst();
  if (!version) throw invalidField(`${at}.version`, `version "${versionName}" of this tool does not exist`);

  // A secret field left out keeps its stored value: the installer cannot read it back to resend it.
  const secretNames = secretFields(tool.config_schema);
  const previous = stored.has(tool.id) ? storedSecrets(platform, app.id, tool.id, stored.get(tool.id) ?? null) : {};
  const merged = { ...Object.fromEntries(Object.entries(previous).filter(([name]) => secretNames.includes(name))), ...item.config };
  if (tool.config_schema) assertMatches(tool.config_schema, merged, `${at}.config`);
  else if (Object.keys(item.config).length > 0) throw invalidField(`${at}.config`, 'this tool takes no config');
  assertFixedArguments(version.functions, item.fixed_arguments, `${at}.fixed_arguments`);

  const secrets = Object.fromEntries(Object.entries(merged).filter(([name]) => secretNames.includes(name)));
  const config = Object.fromEntries(Object.entries(merged).filter(([name]) => !secretNames.includes(name)));
  return { toolId: tool.id, version: item.version ?? null, config, secrets, fixedArguments: item.fixed_arguments, install: !owned };
}

/** A free tool's first attach acquires it for the app's owner, as a zero-price purchase would. */
async function installFreeTool(platform: Platform, ownerId: string, toolId: string): Promise<void> {
  const owner: Actor = { userId: ownerId, role: 'user', sessionId: null, apiKeyId: null };
  try {
    await purchaseTool(platform, owner, { tool_id: toolId, payment_method: 'balance' }, undefined);
  } catch (error) {
    // A concurrent attach (or purchase) acquired it first: the owner holds it either way.
    if (!(error instanceof AppError && error.messageKey === 'TOOL_ALREADY_OWNED')) throw error;
  }
}

export async function setAppTools(platform: Platform, actor: Actor, input: z.infer<typeof SetAppToolsInput>) {
  const { db } = platform;
  const app = await findOwnApplication(db, actor, input.app_id);
  const ids = input.tools.map((item) => item.tool_id);
  ids.forEach((id, i) => {
    if (ids.indexOf(id) !== i) throw invalidField(`tools[${i}].tool_id`, 'is attached twice');
  });
  const tools = ids.length ? await db.selectFrom('tools').selectAll().where('id', 'in', ids).where('deleted_at', 'is', null).execute() : [];
  const stored = new Map(
    (await db.selectFrom('application_tools').select(['tool_id', 'secret_config_enc']).where('app_id', '=', app.id).execute()).map(
      (row) => [row.tool_id, row.secret_config_enc],
    ),
  );
  const prepared: PreparedAttachment[] = [];
  for (const [i, item] of input.tools.entries()) {
    prepared.push(
      await prepare(
        platform,
        app,
        item,
        i,
        tools.find((tool) => tool.id === item.tool_id),
        stored,
      ),
    );
  }
  for (const item of prepared) if (item.install) await installFreeTool(platform, app.owner_id, item.toolId);

  await db.transaction().execute(async (trx) => {
    // The app row's lock orders concurrent replacements of the same set.
    await trx.selectFrom('applications').select('id').where('id', '=', app.id).forUpdate().executeTakeFirst();
    await trx.deleteFrom('application_tools').where('app_id', '=', app.id).execute();
    if (prepared.length === 0) return;
    await trx
      .insertInto('application_tools')
      .values(
        prepared.map((item, position) => ({
          app_id: app.id,
          tool_id: item.toolId,
          version: item.version,
          config: JSON.stringify(item.config),
          secret_config_enc:
            Object.keys(item.secrets).length > 0
              ? encryptSecret(platform.config, JSON.stringify(item.secrets), attachmentSecretBinding(app.id, item.toolId))
              : null,
          fixed_arguments: JSON.stringify(item.fixedArguments),
          position,
        })),
      )
      .execute();
  });
  // The chat path's cached entry says whether the app has tools.
  platform.applications.forget(app.id);
  return getAppTools(platform, actor, app.id);
}

/** The attached tools in order, config without its secret fields (their names are listed as set). */
export async function getAppTools(platform: Platform, actor: Actor, appId: string) {
  const app = await findOwnApplication(platform.db, actor, appId);
  const [bindings, rows] = await Promise.all([
    loadAppToolBindings(platform, app.id),
    platform.db
      .selectFrom('application_tools as at')
      .innerJoin('tools as t', 't.id', 'at.tool_id')
      .select(['at.tool_id', 'at.version', 'at.config', 'at.secret_config_enc', 't.name', 't.kind', 't.price_per_call_nano'])
      .where('at.app_id', '=', app.id)
      .execute(),
  ]);
  const data = bindings.flatMap((binding) => {
    const row = rows.find((candidate) => candidate.tool_id === binding.toolId);
    if (!row?.kind) return [];
    return [
      {
        tool_id: binding.toolId,
        name: row.name,
        kind: row.kind,
        version: row.version,
        resolved_version: binding.version,
        config: row.config,
        secret_fields_set: Object.keys(storedSecrets(platform, app.id, binding.toolId, row.secret_config_enc)),
        fixed_arguments: binding.fixedArguments,
        price_per_call: nanoToAmount(row.price_per_call_nano),
        functions: binding.functions.map((fn) => ({ name: fn.name, exposed_name: fn.exposedName })),
      },
    ];
  });
  return { app_id: app.id, data };
}
