// Deployment of models served from their own uploaded file (issue 15 part 2). A model with a
// model_file and no routes runs on the built-in local runtime: creating it starts loading the file,
// and its deployment moves deploying → active, or failed with the reason, visible in GET
// /models/{id}. The runtime itself (inference/adapters/local) may later unload it to make room; the
// next call loads it again, so an active deployment is one that can serve.
import type { Database, DeploymentState, ModelDeploymentsTable } from '@maas/db';
import type { Kysely, Selectable } from 'kysely';
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import { isAdmin, isOwnerOrAdmin } from '../core/ownership.js';
import type { Platform } from '../core/platform.js';
import { toIso } from '../core/time.js';
import type { LocalModelSpec } from '../inference/adapters/local/index.js';
import { engineTarget } from './targets.js';

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

/** The engine provider a model is deployed on, as a call target, with its adapter; 400 when it cannot take model files. */
async function engineOf(platform: Platform, providerId: string, modelId: string) {
  const target = await engineTarget(platform.db, platform.config, providerId, modelId, { enabledOnly: false });
  const adapter = target ? platform.inference.adapterFor(target.kind) : undefined;
  if (!target || !adapter?.deployModelFile) {
    throw new AppError('INVALID_REQUEST', {
      message: 'MODEL_RUNTIME_UNKNOWN',
      params: { runtime: providerId },
      details: { field: 'runtime' },
    });
  }
  return { target, adapter };
}

/** Pushes the model's file to its engine provider (ollama) and has it made servable there. */
async function deployOnEngine(platform: Platform, modelId: string, providerId: string): Promise<Date> {
  const { target, adapter } = await engineOf(platform, providerId, modelId);
  const spec = await localModelSpec(platform, modelId);
  const file = await platform.db
    .selectFrom('models')
    .innerJoin('files', 'files.id', 'models.model_file_id')
    .select(['files.sha256', 'files.bytes', 'files.filename'])
    .where('models.id', '=', modelId)
    .executeTakeFirstOrThrow();
  // The engine's address is checked as each connection opens, as every upstream's is.
  const dispatcher = platform.outbound.dispatcher();
  try {
    await adapter.deployModelFile!(
      target,
      {
        path: spec.path,
        sha256: file.sha256,
        bytes: Number(file.bytes),
        filename: file.filename,
        name: target.upstreamModel,
        contextSize: spec.contextSize,
      },
      { signal: AbortSignal.timeout(3_600_000), dispatcher },
    );
  } finally {
    await dispatcher.close();
  }
  return new Date();
}

/** Loads the model on its runtime and records the outcome; never throws. */
async function load(platform: Platform, modelId: string, runtime: string): Promise<void> {
  try {
    const loadedAt =
      runtime === LOCAL_RUNTIME
        ? (await platform.inference.local.load(modelId)).loadedAt
        : await deployOnEngine(platform, modelId, runtime);
    await setState(platform.db, modelId, 'active', null, loadedAt);
  } catch (error) {
    await setState(platform.db, modelId, 'failed', reasonOf(error));
  } finally {
    platform.catalog.markChanged();
  }
}

/**
 * (Re)starts the deployment of a self-served model on `runtime` (default: where it is, else local):
 * its row goes to `deploying` and the file loads in the background. Used on create, on a change of
 * its file or context, and by redeploy.
 */
export async function startDeployment(platform: Platform, modelId: string, runtime?: string): Promise<DeploymentView> {
  const current = await platform.db.selectFrom('model_deployments').select('runtime').where('model_id', '=', modelId).executeTakeFirst();
  const target = runtime ?? current?.runtime ?? LOCAL_RUNTIME;
  const row = await platform.db
    .insertInto('model_deployments')
    .values({ model_id: modelId, runtime: target, state: 'deploying' })
    .onConflict((oc) => oc.column('model_id').doUpdateSet({ runtime: target, state: 'deploying', error: null, updated_at: new Date() }))
    .returningAll()
    .executeTakeFirstOrThrow();
  await platform.inference.local.unload(modelId);
  platform.catalog.markChanged();
  platform.background.run('deploy-model', () => load(platform, modelId, target), 1);
  return toDeployment(row);
}

/** A model that is no longer self-served (deleted, or given routes): out of its runtime and its row gone. */
export async function endDeployment(platform: Platform, modelId: string): Promise<void> {
  const row = await platform.db.deleteFrom('model_deployments').where('model_id', '=', modelId).returning('runtime').executeTakeFirst();
  await forgetDeployment(platform, modelId, row?.runtime ?? null);
}

/** Frees what a deployment held: the local runtime's memory, or the engine's copy (best effort). */
export async function forgetDeployment(platform: Platform, modelId: string, runtime: string | null): Promise<void> {
  await platform.inference.local.unload(modelId);
  if (runtime !== null && runtime !== LOCAL_RUNTIME) {
    const engine = await engineOf(platform, runtime, modelId).catch(() => null);
    if (engine?.adapter.removeModelFile) {
      const dispatcher = platform.outbound.dispatcher();
      await engine.adapter.removeModelFile(engine.target, engine.target.upstreamModel, { dispatcher }).finally(() => dispatcher.close());
    }
  }
}

/**
 * `POST /models/{id}/deploy`: the owner (or an admin) deploys the model again. `runtime` picks where:
 * `local`, or (admins only: it spends that engine's capacity) the id of an engine provider (ollama).
 */
export async function redeployModel(platform: Platform, actor: Actor, modelId: string, runtime?: string): Promise<DeploymentView> {
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
  if (runtime !== undefined && runtime !== LOCAL_RUNTIME) {
    if (!isAdmin(actor)) throw new AppError('FORBIDDEN', { message: 'MODEL_RUNTIME_ADMIN_ONLY' });
    await engineOf(platform, runtime, modelId);
  }
  return startDeployment(platform, modelId, runtime);
}
