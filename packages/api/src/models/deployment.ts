// Deployment of models served from their own uploaded file (issue 15 part 2). A model with a
// model_file and no routes runs on the built-in local runtime: creating it starts loading the file,
// and its deployment moves deploying → active, or failed with the reason, visible in GET
// /models/{id}. The runtime itself (inference/adapters/local) may later unload it to make room; the
// next call loads it again, so an active deployment is one that can serve.
import type { Database, DeploymentState, ModelDeploymentsTable } from '@maas/db';
import type { Kysely, Selectable } from 'kysely';
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import { isOwnerOrAdmin } from '../core/ownership.js';
import type { Platform } from '../core/platform.js';
import { toIso } from '../core/time.js';
import type { LocalModelSpec } from '../inference/adapters/local/index.js';

export const LOCAL_RUNTIME = 'local';

export interface DeploymentView {
  runtime: string;
  state: DeploymentState;
  error: string | null;
  loaded_at: string | null;
}

export function toDeployment(row: Selectable<ModelDeploymentsTable>): DeploymentView {
  return { runtime: row.runtime, state: row.state, error: row.error, loaded_at: row.loaded_at ? toIso(row.loaded_at) : null };
}

export async function deploymentOf(db: Kysely<Database>, modelId: string): Promise<DeploymentView | null> {
  const row = await db.selectFrom('model_deployments').selectAll().where('model_id', '=', modelId).executeTakeFirst();
  return row ? toDeployment(row) : null;
}

/** Whether a model is served from its own file: it names one and has no route to a provider. */
export function isSelfServed(model: { model_file_id: string | null }, routeCount: number): boolean {
  return model.model_file_id !== null && routeCount === 0;
}

/**
 * Where the runtime finds the model's file and how large a context it gets: the model's
 * `config.context_length` (else its context window), never more than the file was trained for.
 */
export async function localModelSpec(platform: Platform, modelId: string): Promise<LocalModelSpec> {
  const row = await platform.db
    .selectFrom('models')
    .leftJoin('files', 'files.id', 'models.model_file_id')
    .select(['models.name', 'models.context_window', 'models.parameters', 'files.storage_key', 'files.purpose', 'files.metadata'])
    .where('models.id', '=', modelId)
    .executeTakeFirst();
  if (!row || !row.storage_key || row.purpose !== 'model' || !row.metadata) {
    throw new AppError('SERVICE_UNAVAILABLE', { message: 'MODEL_NOT_DEPLOYABLE', params: { model: row?.name ?? modelId } });
  }
  if (!platform.blobs.localPath) throw new Error('the blob store keeps no local files for the runtime to read');
  const metadata = row.metadata as { context_length?: number | null; chat_template?: string | null };
  const asked = row.parameters.context_length ?? row.context_window;
  const trained = metadata.context_length ?? asked;
  return {
    path: platform.blobs.localPath(row.storage_key),
    contextSize: Math.max(16, Math.min(asked, trained)),
    chatTemplate: metadata.chat_template ?? null,
  };
}

async function setState(db: Kysely<Database>, modelId: string, state: DeploymentState, error: string | null, loadedAt?: Date) {
  await db
    .updateTable('model_deployments')
    .set({ state, error, updated_at: new Date(), ...(loadedAt ? { loaded_at: loadedAt } : {}) })
    .where('model_id', '=', modelId)
    .execute();
}

function reasonOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 500);
}

/** Loads the model on the local runtime and records the outcome; never throws. */
async function load(platform: Platform, modelId: string): Promise<void> {
  try {
    const info = await platform.inference.local.load(modelId);
    await setState(platform.db, modelId, 'active', null, info.loadedAt);
  } catch (error) {
    await setState(platform.db, modelId, 'failed', reasonOf(error));
  } finally {
    platform.catalog.markChanged();
  }
}

/**
 * (Re)starts the deployment of a self-served model: its row goes to `deploying` and the file loads
 * in the background. Used on create, on a change of its file or context, and by redeploy.
 */
export async function startDeployment(platform: Platform, modelId: string): Promise<DeploymentView> {
  const row = await platform.db
    .insertInto('model_deployments')
    .values({ model_id: modelId, runtime: LOCAL_RUNTIME, state: 'deploying' })
    .onConflict((oc) => oc.column('model_id').doUpdateSet({ state: 'deploying', error: null, updated_at: new Date() }))
    .returningAll()
    .executeTakeFirstOrThrow();
  await platform.inference.local.unload(modelId);
  platform.catalog.markChanged();
  platform.background.run('deploy-model', () => load(platform, modelId), 1);
  return toDeployment(row);
}

/** A model that is no longer self-served (deleted, or given routes): out of the runtime and its row gone. */
export async function endDeployment(platform: Platform, modelId: string): Promise<void> {
  await platform.db.deleteFrom('model_deployments').where('model_id', '=', modelId).execute();
  await platform.inference.local.unload(modelId);
}

/** `POST /models/{id}/deploy`: the owner (or an admin) deploys the model again. */
export async function redeployModel(platform: Platform, actor: Actor, modelId: string): Promise<DeploymentView> {
  const model = await platform.db
    .selectFrom('models')
    .select(['id', 'name', 'owner_id', 'model_file_id'])
    .where('id', '=', modelId)
    .executeTakeFirst();
  if (!model || !isOwnerOrAdmin(actor, model.owner_id)) throw new AppError('NOT_FOUND', { message: 'MODEL_NOT_FOUND' });
  const routes = await platform.db.selectFrom('model_routes').select('provider_id').where('model_id', '=', modelId).execute();
  if (!isSelfServed(model, routes.length)) {
    throw new AppError('INVALID_REQUEST', {
      message: 'MODEL_NOT_DEPLOYABLE',
      params: { model: model.name },
      details: { field: 'model_file' },
    });
  }
  return startDeployment(platform, modelId);
}
