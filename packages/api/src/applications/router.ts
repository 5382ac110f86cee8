import { authedProcedure, router } from '../trpc.js';
import {
  Application,
  ApplicationList,
  AppRef,
  CreateApplicationInput,
  DeletedApplication,
  ListApplicationsInput,
  UpdateApplicationInput,
} from './schemas.js';
import { createApplication, deleteApplication, getApplication, listApplications, updateApplication } from './service.js';

const tags = ['applications'];

export const applicationsRouter = router({
  list: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/applications', tags, protect: true, summary: 'Your applications' } })
    .input(ListApplicationsInput)
    .output(ApplicationList)
    .query(({ ctx, input }) => listApplications(ctx.platform, ctx.actor, input)),

  get: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/applications/{app_id}', tags, protect: true, summary: 'An application (owner or admin)' } })
    .input(AppRef)
    .output(Application)
    .query(({ ctx, input }) => getApplication(ctx.platform, ctx.actor, input.app_id)),

  create: authedProcedure
    .meta({
      openapi: { method: 'POST', path: '/applications', tags, protect: true, summary: 'Create an application on a model' },
      created: true,
    })
    .input(CreateApplicationInput)
    .output(Application)
    .mutation(({ ctx, input }) => createApplication(ctx.platform, ctx.actor, input)),

  update: authedProcedure
    .meta({
      openapi: {
        method: 'PATCH',
        path: '/applications/{app_id}',
        tags,
        protect: true,
        summary: 'Change, stop or restart an application (owner or admin)',
      },
    })
    .input(UpdateApplicationInput)
    .output(Application)
    .mutation(({ ctx, input }) => updateApplication(ctx.platform, ctx.actor, input)),

  delete: authedProcedure
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/applications/{app_id}',
        tags,
        protect: true,
        summary: 'Delete an application and its conversations (owner or admin)',
      },
    })
    .input(AppRef)
    .output(DeletedApplication)
    .mutation(({ ctx, input }) => deleteApplication(ctx.platform, ctx.actor, input.app_id)),
});
