import { adminProcedure, router } from '../trpc.js';
import {
  CreateProviderInput,
  DeletedProvider,
  ListProvidersInput,
  Provider,
  ProviderList,
  ProviderRef,
  UpdateProviderInput,
} from './schemas.js';
import { createProvider, deleteProvider, getProvider, listProviders, updateProvider } from './service.js';

const tags = ['providers'];

export const providersRouter = router({
  list: adminProcedure
    .meta({ openapi: { method: 'GET', path: '/providers', tags, protect: true, summary: 'List upstream providers (admins)' } })
    .input(ListProvidersInput)
    .output(ProviderList)
    .query(({ ctx, input }) => listProviders(ctx.platform.db, input)),

  get: adminProcedure
    .meta({ openapi: { method: 'GET', path: '/providers/{provider_id}', tags, protect: true, summary: 'An upstream provider (admins)' } })
    .input(ProviderRef)
    .output(Provider)
    .query(({ ctx, input }) => getProvider(ctx.platform.db, input.provider_id)),

  create: adminProcedure
    .meta({
      openapi: { method: 'POST', path: '/providers', tags, protect: true, summary: 'Add an upstream provider (admins)' },
      created: true,
      errors: ['CONFLICT'],
    })
    .input(CreateProviderInput)
    .output(Provider)
    .mutation(({ ctx, input }) => createProvider(ctx.platform, ctx.actor, input)),

  update: adminProcedure
    .meta({
      openapi: { method: 'PATCH', path: '/providers/{provider_id}', tags, protect: true, summary: 'Change an upstream provider (admins)' },
      errors: ['CONFLICT'],
    })
    .input(UpdateProviderInput)
    .output(Provider)
    .mutation(({ ctx, input: { provider_id, ...changes } }) => updateProvider(ctx.platform, provider_id, changes)),

  delete: adminProcedure
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/providers/{provider_id}',
        tags,
        protect: true,
        summary: 'Remove an unused upstream provider (admins)',
      },
      errors: ['CONFLICT'],
    })
    .input(ProviderRef)
    .output(DeletedProvider)
    .mutation(({ ctx, input }) => deleteProvider(ctx.platform, input.provider_id)),
});
