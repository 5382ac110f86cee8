import { unitPricesColumn, unitPricesOutput } from './unit-prices.js';
import type { Database, Model, ModelCategory, ModelOperation, ModelParametersJson, ModelRoute, Provider } from '@maas/db';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { z } from 'zod';
import type { Actor } from '../core/context.js';
import { isForeignKeyViolation, uniqueViolation } from '../core/db-errors.js';
import { AppError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { containsPattern } from '../core/like.js';
import { nanoToAmount, nanoToDecimalString } from '../core/money.js';
import { isAdmin, isOwnerOrAdmin } from '../core/ownership.js';
import { PageTemplate } from '../core/pagination.js';
import { type PlaceholderOf, queryTemplate } from '../core/query-template.js';
import type { Platform } from '../core/platform.js';
import { toIso } from '../core/time.js';
import { isOwnFile } from '../files/service.js';
import { deploymentOf, type DeploymentView, endDeployment, forgetDeployment, isSelfServed, startDeployment } from './deployment.js';
import { canDoSql, operationsColumn, operationsOf } from './operations.js';
import type { CreateModelInput, ListModelsInput, ModelDetail, ModelPricingInput, RouteInput, UpdateModelInput } from './schemas.js';

type RouteSpec = z.infer<typeof RouteInput>;

/** Public models for everyone; private ones only for their owner and admins. */
export function canSeeModel(model: Pick<Model, 'owner_id' | 'visibility'>, viewer: Actor | null): boolean {
  return model.visibility === 'public' || isOwnerOrAdmin(viewer, model.owner_id);
}

function toModel(row: Model) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    category: row.category,
    operations: operationsOf(row),
    version: row.version,
    status: row.status,
    visibility: row.visibility,
    popularity: Number(row.call_count),
    created_at: toIso(row.created_at),
    updated_at: toIso(row.updated_at),
  };
}

function toRoute(route: ModelRoute) {
  return { provider_id: route.provider_id, upstream_model: route.upstream_model, priority: route.priority, weight: route.weight };
}

/** What the output schema accepts: the detail is checked against it on the way out. */
type ModelDetailView = z.input<typeof ModelDetail>;

function toModelDetail(row: Model, routes: ModelRoute[] | null, deployment: DeploymentView | null = null): ModelDetailView {
  // Built by assignment rather than spreads: this runs on every model read (issue 18), and a spread
  // copies key by key through a generic path. The keys keep the schema's order.
  const pricing: ModelDetailView['pricing'] = {
    input_tokens: nanoToAmount(row.input_nano_per_token),
    output_tokens: nanoToAmount(row.output_nano_per_token),
  };
  // Only when set, so that a model without one answers exactly as before the field existed.
  if (row.cached_input_nano_per_token !== null) pricing.cached_input_tokens = nanoToAmount(row.cached_input_nano_per_token);
  if (row.unit_prices) Object.assign(pricing, unitPricesOutput(row.unit_prices));
  // toModel's fields first, in the schema's order; the rest are set just below.
  const detail = toModel(row) as ModelDetailView;
  detail.parameters = row.parameters;
  detail.pricing = pricing;
  detail.context_window = row.context_window;
  detail.model_file = row.model_file_id;
  if (routes) detail.routes = routes.map(toRoute);
  if (deployment) detail.deployment = deployment;
  return detail;
}

/**
 * The models list, compiled once per shape (core/query-template.ts): it is the catalogue's hot read.
 * The viewer's kind, the category, the operation and the sort change the SQL; the viewer's id and
 * the search pattern are values.
 */
const MODEL_PAGES = new PageTemplate(
  (
    db,
    shape: {
      viewer: 'admin' | 'user' | 'anonymous';
      category: ModelCategory | null;
      operation: ModelOperation | null;
      search: boolean;
      sort: z.infer<typeof ListModelsInput>['sort'];
    },
    placeholder: PlaceholderOf<{ viewerId: string | null; pattern: string | null }>,
  ) => {
    let query = db.selectFrom('models');
    if (shape.viewer === 'user')
      query = query.where((eb) => eb.or([eb('visibility', '=', 'public'), eb('owner_id', '=', placeholder('viewerId'))]));
    else if (shape.viewer === 'anonymous') query = query.where('visibility', '=', 'public');
    if (shape.category) query = query.where('category', '=', shape.category);
    if (shape.operation) query = query.where(canDoSql(shape.operation));
    if (shape.search) {
      const pattern = placeholder('pattern');
      query = query.where((eb) => eb.or([eb(sql`lower(name)`, 'like', pattern), eb(sql`lower(description)`, 'like', pattern)]));
    }
    let page = query.selectAll();
    switch (shape.sort) {
      case 'name':
        page = page.orderBy(sql`lower(name)`, 'asc').orderBy('id', 'asc');
        break;
      case 'popularity':
        page = page.orderBy('call_count', 'desc').orderBy('id', 'desc');
        break;
      case 'created_at':
        page = page.orderBy('created_at', 'desc').orderBy('id', 'desc');
        break;
    }
    return { rows: page, count: query };
  },
);

export async function listModels(db: Kysely<Database>, viewer: Actor | null, input: z.infer<typeof ListModelsInput>) {
  const shape = {
    viewer: isAdmin(viewer) ? 'admin' : viewer ? 'user' : 'anonymous',
    category: input.category ?? null,
    operation: input.operation ?? null,
    search: Boolean(input.search),
    sort: input.sort,
  } as const;
  const values = { viewerId: viewer?.userId ?? null, pattern: input.search ? containsPattern(input.search) : null };
  return MODEL_PAGES.list(db, input, shape, values, toModel);
}

const MODEL_BY_ID = queryTemplate((db, placeholder: PlaceholderOf<{ id: string }>) =>
  db.selectFrom('models').selectAll().where('id', '=', placeholder('id')),
);

/** The model if the viewer may see it; otherwise the same 404 as for a missing one. */
async function findVisibleModel(db: Kysely<Database>, viewer: Actor | null, modelId: string): Promise<Model> {
  const row = await MODEL_BY_ID.executeTakeFirst(db, { id: modelId });
  if (!row || !canSeeModel(row, viewer)) throw new AppError('NOT_FOUND', { message: 'MODEL_NOT_FOUND' });
  return row;
}

async function findEditableModel(db: Kysely<Database>, actor: Actor, modelId: string): Promise<Model> {
  const row = await findVisibleModel(db, actor, modelId);
  if (!isOwnerOrAdmin(actor, row.owner_id)) throw new AppError('FORBIDDEN', { message: 'MODEL_NOT_OWNER' });
  return row;
}

async function routesOf(db: Kysely<Database>, modelId: string): Promise<ModelRoute[]> {
  return db
    .selectFrom('model_routes')
    .selectAll()
    .where('model_id', '=', modelId)
    .orderBy(sql`coalesce(priority, 0)`)
    .orderBy('created_at')
    .orderBy('provider_id')
    .execute();
}

/** Routes are shown to the owner and admins only: they name the platform's upstreams. */
export async function getModel(db: Kysely<Database>, viewer: Actor | null, modelId: string) {
  const row = await findVisibleModel(db, viewer, modelId);
  const routes = isOwnerOrAdmin(viewer, row.owner_id) ? await routesOf(db, row.id) : null;
  return toModelDetail(row, routes, row.model_file_id ? await deploymentOf(db, row.id) : null);
}

/**
 * A model the actor may build an application on: public and active, or their own (admins: any).
 * Anything else is a 400 on the `model_id` field, since the model is named in the request body.
 */
export async function findUsableModel(db: Kysely<Database>, actor: Actor, modelId: string): Promise<Model> {
  const row = await MODEL_BY_ID.executeTakeFirst(db, { id: modelId });
  if (!row || !canSeeModel(row, actor)) {
    throw new AppError('INVALID_REQUEST', { message: 'MODEL_NOT_FOUND', details: { field: 'model_id' } });
  }
  if (!isOwnerOrAdmin(actor, row.owner_id) && row.status !== 'active') {
    const message = row.status === 'deprecated' ? 'MODEL_DEPRECATED' : 'MODEL_INACTIVE';
    throw new AppError('INVALID_REQUEST', { message, params: { model: row.name }, details: { field: 'model_id' } });
  }
  return row;
}

type ProviderFloor = Pick<Provider, 'id' | 'min_input_nano_per_token' | 'min_output_nano_per_token'>;

/** The routes' providers, with their price floors; 400 if one does not exist. */
async function assertRoutesValid(db: Kysely<Database>, routes: readonly RouteSpec[]): Promise<ProviderFloor[]> {
  const ids = [...new Set(routes.map((r) => r.provider_id))];
  if (ids.length === 0) return [];
  const found = await db
    .selectFrom('providers')
    .select(['id', 'min_input_nano_per_token', 'min_output_nano_per_token'])
    .where('id', 'in', ids)
    .execute();
  const known = new Set(found.map((p) => p.id));
  const missing = ids.filter((id) => !known.has(id));
  if (missing.length > 0) {
    throw new AppError('INVALID_REQUEST', { message: 'MODEL_ROUTE_PROVIDER_UNKNOWN', details: { field: 'routes', provider_ids: missing } });
  }
  return found;
}

async function currentRouteFloors(db: Kysely<Database>, modelId: string): Promise<ProviderFloor[]> {
  return db
    .selectFrom('model_routes')
    .innerJoin('providers', 'providers.id', 'model_routes.provider_id')
    .select(['providers.id', 'providers.min_input_nano_per_token', 'providers.min_output_nano_per_token'])
    .distinct()
    .where('model_routes.model_id', '=', modelId)
    .execute();
}

/** A model's prices in nano-units; `cached` null means cached input tokens bill at `input`. */
interface PriceSpec {
  input: bigint;
  output: bigint;
  cached: bigint | null;
}

function priceSpecOf(pricing: z.infer<typeof ModelPricingInput> | undefined): PriceSpec {
  return { input: pricing?.input_tokens ?? 0n, output: pricing?.output_tokens ?? 0n, cached: pricing?.cached_input_tokens ?? null };
}

/**
 * Providers call upstreams with the platform's keys, so only an admin may price a model routed to
 * one below the provider's floor; anyone else would sell the platform's calls below cost. A cached
 * input price is held to the input floor: the floor has no cached price of its own, so it is the
 * least the platform knows it may charge for any input token.
 */
function assertPricedAtFloors(actor: Actor, pricing: PriceSpec, providers: readonly ProviderFloor[]): void {
  if (isAdmin(actor)) return;
  const below = providers.filter(
    (p) =>
      pricing.input < p.min_input_nano_per_token ||
      pricing.output < p.min_output_nano_per_token ||
      (pricing.cached !== null && pricing.cached < p.min_input_nano_per_token),
  );
  if (below.length === 0) return;
  let input = 0n;
  let output = 0n;
  for (const provider of providers) {
    if (provider.min_input_nano_per_token > input) input = provider.min_input_nano_per_token;
    if (provider.min_output_nano_per_token > output) output = provider.min_output_nano_per_token;
  }
  const floor = { input_tokens: nanoToAmount(input), output_tokens: nanoToAmount(output) };
  throw new AppError('INVALID_REQUEST', {
    message: 'MODEL_PRICE_BELOW_PROVIDER_FLOOR',
    params: { input: nanoToDecimalString(input), output: nanoToDecimalString(output) },
    details: { field: 'pricing', provider_ids: below.map((p) => p.id), min_price: floor },
  });
}

/**
 * A public model served from its own file on the local runtime spends the platform's CPU for
 * anyone who calls it, so (except for admins) it is priced at least MAAS_LOCAL_RUNTIME_MIN_PRICE per
 * token. A private one is only its owner's to call.
 */
function assertLocalPrice(platform: Platform, actor: Actor, visibility: string, pricing: PriceSpec): void {
  const min = platform.config.localRuntime.minPriceNano;
  if (visibility !== 'public' || isAdmin(actor) || (pricing.input >= min && pricing.output >= min)) return;
  throw new AppError('INVALID_REQUEST', {
    message: 'MODEL_PRICE_BELOW_LOCAL_FLOOR',
    params: { min: nanoToDecimalString(min) },
    details: { field: 'pricing', min_price: { input_tokens: nanoToAmount(min), output_tokens: nanoToAmount(min) } },
  });
}

async function assertOwnFile(db: Kysely<Database>, actor: Actor, fileId: string | null | undefined): Promise<void> {
  if (!fileId) return;
  if (!(await isOwnFile(db, actor.userId, fileId))) {
    throw new AppError('INVALID_REQUEST', { message: 'MODEL_FILE_NOT_OWNED', details: { field: 'model_file' } });
  }
}

async function replaceRoutes(trx: Transaction<Database>, modelId: string, routes: readonly RouteSpec[]): Promise<void> {
  await trx.deleteFrom('model_routes').where('model_id', '=', modelId).execute();
  if (routes.length === 0) return;
  await trx
    .insertInto('model_routes')
    .values(
      routes.map((r) => ({
        model_id: modelId,
        provider_id: r.provider_id,
        upstream_model: r.upstream_model,
        priority: r.priority ?? null,
        weight: r.weight ?? null,
      })),
    )
    .execute();
}

function modelWriteError(error: unknown): unknown {
  if (uniqueViolation(error) !== null) return new AppError('CONFLICT', { message: 'MODEL_NAME_TAKEN', details: { field: 'name' } });
  // A provider deleted between the check and the insert.
  if (isForeignKeyViolation(error))
    return new AppError('INVALID_REQUEST', { message: 'MODEL_ROUTE_PROVIDER_UNKNOWN', details: { field: 'routes' } });
  return error;
}

function parametersJson(config: ModelParametersJson): string {
  return JSON.stringify(config);
}

export async function createModel(platform: Platform, actor: Actor, input: z.infer<typeof CreateModelInput>) {
  const { db } = platform;
  const [providers] = await Promise.all([assertRoutesValid(db, input.routes), assertOwnFile(db, actor, input.model_file)]);
  const pricing = priceSpecOf(input.pricing);
  assertPricedAtFloors(actor, pricing, providers);
  if (input.model_file && input.routes.length === 0) assertLocalPrice(platform, actor, input.visibility, pricing);
  const id = newId('model');
  try {
    const row = await db.transaction().execute(async (trx) => {
      const created = await trx
        .insertInto('models')
        .values({
          id,
          owner_id: actor.userId,
          name: input.name,
          description: input.description,
          category: input.category,
          operations: operationsColumn(input.operations ?? null),
          version: input.version,
          status: 'active',
          visibility: input.visibility,
          parameters: parametersJson(input.config),
          model_file_id: input.model_file ?? null,
          input_nano_per_token: pricing.input,
          output_nano_per_token: pricing.output,
          cached_input_nano_per_token: pricing.cached,
          unit_prices: unitPricesColumn(input.pricing),
          context_window: input.context_window,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await replaceRoutes(trx, id, input.routes);
      return created;
    });
    platform.catalog.markChanged();
    const routes = await routesOf(db, id);
    // A model file and no routes: served from the file, on the local runtime (issue 15).
    const deployment = isSelfServed(row, routes.length) ? await startDeployment(platform, id) : null;
    return toModelDetail(row, routes, deployment);
  } catch (error) {
    throw modelWriteError(error);
  }
}

export async function updateModel(platform: Platform, actor: Actor, input: z.infer<typeof UpdateModelInput>) {
  const { db } = platform;
  const current = await findEditableModel(db, actor, input.model_id);
  const [providers] = await Promise.all([
    input.routes ? assertRoutesValid(db, input.routes) : undefined,
    assertOwnFile(db, actor, input.model_file),
  ]);
  if (input.routes !== undefined || input.pricing !== undefined) {
    const pricing = input.pricing
      ? priceSpecOf(input.pricing)
      : { input: current.input_nano_per_token, output: current.output_nano_per_token, cached: current.cached_input_nano_per_token };
    assertPricedAtFloors(actor, pricing, providers ?? (await currentRouteFloors(db, current.id)));
  }
  const changes = {
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.category !== undefined ? { category: input.category } : {}),
    ...(input.operations !== undefined ? { operations: operationsColumn(input.operations) } : {}),
    ...(input.version !== undefined ? { version: input.version } : {}),
    ...(input.status !== undefined ? { status: input.status } : {}),
    ...(input.visibility !== undefined ? { visibility: input.visibility } : {}),
    ...(input.config !== undefined ? { parameters: parametersJson(input.config) } : {}),
    ...(input.model_file !== undefined ? { model_file_id: input.model_file } : {}),
    // Pricing is replaced as a whole: without cached_input_tokens, cached tokens bill at the input price again.
    ...(input.pricing !== undefined
      ? {
          input_nano_per_token: input.pricing.input_tokens,
          output_nano_per_token: input.pricing.output_tokens,
          cached_input_nano_per_token: input.pricing.cached_input_tokens ?? null,
          unit_prices: unitPricesColumn(input.pricing),
        }
      : {}),
    ...(input.context_window !== undefined ? { context_window: input.context_window } : {}),
  };
  const selfServed =
    (input.model_file !== undefined ? input.model_file : current.model_file_id) !== null &&
    (input.routes ?? (await routesOf(db, current.id))).length === 0;
  if (
    selfServed &&
    (input.pricing !== undefined || input.visibility !== undefined || input.model_file !== undefined || input.routes !== undefined)
  ) {
    const pricing = input.pricing
      ? priceSpecOf(input.pricing)
      : { input: current.input_nano_per_token, output: current.output_nano_per_token, cached: current.cached_input_nano_per_token };
    assertLocalPrice(platform, actor, input.visibility ?? current.visibility, pricing);
  }
  try {
    const row = await db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('models')
        .set({ ...changes, updated_at: new Date() })
        .where('id', '=', current.id)
        .returningAll()
        .executeTakeFirst();
      if (!updated) throw new AppError('NOT_FOUND', { message: 'MODEL_NOT_FOUND' });
      if (input.routes) await replaceRoutes(trx, current.id, input.routes);
      return updated;
    });
    platform.catalog.markChanged();
    const routes = await routesOf(db, row.id);
    return toModelDetail(row, routes, await followDeployment(platform, current, row, routes.length));
  } catch (error) {
    throw modelWriteError(error);
  }
}

/**
 * A change that touches how a self-served model runs (its file, context or defaults, or it becomes
 * one) deploys it again; one that gives it routes ends its deployment.
 */
async function followDeployment(platform: Platform, before: Model, after: Model, routeCount: number): Promise<DeploymentView | null> {
  if (!isSelfServed(after, routeCount)) {
    if (before.model_file_id !== null) await endDeployment(platform, after.id);
    return null;
  }
  const current = await deploymentOf(platform.db, after.id);
  const changed =
    before.model_file_id !== after.model_file_id ||
    before.context_window !== after.context_window ||
    JSON.stringify(before.parameters) !== JSON.stringify(after.parameters);
  return current && !changed ? current : startDeployment(platform, after.id);
}

/** Refused with 409 while an application uses the model (the foreign key is the arbiter). */
export async function deleteModel(platform: Platform, actor: Actor, modelId: string) {
  const current = await findEditableModel(platform.db, actor, modelId);
  const deployment = current.model_file_id ? await deploymentOf(platform.db, current.id) : null;
  try {
    await platform.db.deleteFrom('models').where('id', '=', current.id).execute();
  } catch (error) {
    if (isForeignKeyViolation(error)) throw new AppError('CONFLICT', { message: 'MODEL_IN_USE' });
    throw error;
  }
  platform.catalog.markChanged();
  // The row went with the model (ON DELETE CASCADE); the runtime lets the file go.
  await forgetDeployment(platform, current.id, deployment?.runtime ?? null);
  return { id: current.id, deleted: true as const };
}
