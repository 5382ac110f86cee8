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
    .meta({
      openapi: {
        method: 'GET',
        path: '/applications',
        tags,
        protect: true,
        summary: 'Your applications',
        description: 'Your applications, paginated, newest first, with their model and status.',
      },
    })
    .input(ListApplicationsInput)
    .output(ApplicationList)
    .query(({ ctx, input }) => listApplications(ctx.platform, ctx.actor, input)),

  get: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/applications/{app_id}',
        tags,
        protect: true,
        summary: 'An application (owner or admin)',
        description: 'One application with its configuration and status.',
      },
    })
    .input(AppRef)
    .output(Application)
    .query(({ ctx, input }) => getApplication(ctx.platform, ctx.actor, input.app_id)),

  create: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/applications',
        tags,
        protect: true,
        summary: 'Create an application on a model',
        description:
          'An application is a model (yours or a public one) with a system prompt and call settings; chat with it at POST /applications/{app_id}/chat.',
      },
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
        description: 'Changes the name, model, prompt or settings; `status: stopped` makes its chat answer 409 until it is running again.',
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
        description: 'Deletes the application and every conversation and message in it. Usage records stay.',
      },
    })
    .input(AppRef)
    .output(DeletedApplication)
    .mutation(({ ctx, input }) => deleteApplication(ctx.platform, ctx.actor, input.app_id)),
});
