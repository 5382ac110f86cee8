import { authedProcedure, developerProcedure, router, viewerProcedure } from '../trpc.js';
import { redeployModel } from './deployment.js';
import {
  CreateModelInput,
  DeletedModel,
  DeployModelInput,
  ListModelsInput,
  ModelDeployment,
  ModelDetail,
  ModelList,
  ModelRef,
  UpdateModelInput,
} from './schemas.js';
import { createModel, deleteModel, getModel, listModels, updateModel } from './service.js';

const tags = ['models'];

export const modelsRouter = router({
  list: viewerProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/models',
        tags,
        summary: 'List models (public ones, plus your own private ones)',
        description:
          'Paginated; filter by category, operation or search, sort by popularity, name or date. Anonymous callers see public active models; a signed-in caller also sees their own private ones.',
      },
    })
    .input(ListModelsInput)
    .output(ModelList)
    .query(({ ctx, input }) => listModels(ctx.platform.db, ctx.actor, input)),

  get: viewerProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/models/{model_id}',
        tags,
        summary: 'A model with its parameters and pricing',
        description:
          'Everything about one model that its viewer may see: pricing, parameters, context window and, for its owner or an admin, its routes.',
      },
    })
    .input(ModelRef)
    .output(ModelDetail)
    .query(({ ctx, input }) => getModel(ctx.platform.db, ctx.actor, input.model_id)),

  create: developerProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/models',
        tags,
        protect: true,
        summary: 'Create a model (developers and admins)',
        description:
          "A model has a category, its operations (by default those of its category), per-token and per-unit pricing, a context window, default parameters (`config`), and either routes to providers or a model file. Prices below a routed provider's floor are refused unless you are an admin.",
      },
      created: true,
      errors: ['CONFLICT'],
    })
    .input(CreateModelInput)
    .output(ModelDetail)
    .mutation(({ ctx, input }) => createModel(ctx.platform, ctx.actor, input)),

  update: authedProcedure
    .meta({
      openapi: {
        method: 'PATCH',
        path: '/models/{model_id}',
        tags,
        protect: true,
        summary: 'Change a model (owner or admin)',
        description:
          'Changes any field; pricing and routes are replaced as a whole. Calls see the change at once on this instance and within seconds on others.',
      },
      errors: ['CONFLICT'],
    })
    .input(UpdateModelInput)
    .output(ModelDetail)
    .mutation(({ ctx, input }) => updateModel(ctx.platform, ctx.actor, input)),

  deploy: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/models/{model_id}/deploy',
        tags,
        protect: true,
        summary: 'Deploy again a model served from its own file (owner or admin)',
        description:
          "Reloads the model's file on the built-in local runtime, or, with `runtime` set to an engine provider's id (admins only), deploys it there. The deployment state moves deploying → active, or failed with the reason, as GET /models/{model_id} shows.",
      },
    })
    .input(DeployModelInput)
    .output(ModelDeployment)
    .mutation(({ ctx, input }) => redeployModel(ctx.platform, ctx.actor, input.model_id, input.runtime)),

  delete: authedProcedure
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/models/{model_id}',
        tags,
        protect: true,
        summary: 'Delete a model no application uses (owner or admin)',
        description: 'Refused with 409 while an application uses it.',
      },
      errors: ['CONFLICT'],
    })
    .input(ModelRef)
    .output(DeletedModel)
    .mutation(({ ctx, input }) => deleteModel(ctx.platform, ctx.actor, input.model_id)),
});
