import { adminProcedure, router } from '../trpc.js';
import {
  CreateProviderInput,
  DeletedProvider,
  ListProvidersInput,
  Provider,
  ProviderConnectionTest,
  ProviderList,
  ProviderRef,
  UpdateProviderInput,
} from './schemas.js';
import { testProviderConnection } from './connection-test.js';
import { createProvider, deleteProvider, getProvider, listProviders, updateProvider } from './service.js';

const tags = ['providers'];

export const providersRouter = router({
  list: adminProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/providers',
        tags,
        protect: true,
        summary: 'List upstream providers (admins)',
        description:
          'Upstream providers with their kind, base URL, priority, weight, price floor and whether an API key is stored (the key itself is never shown).',
      },
    })
    .input(ListProvidersInput)
    .output(ProviderList)
    .query(({ ctx, input }) => listProviders(ctx.platform.db, input)),

  get: adminProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/providers/{provider_id}',
        tags,
        protect: true,
        summary: 'An upstream provider (admins)',
        description: 'One provider, as in the list.',
      },
    })
    .input(ProviderRef)
    .output(Provider)
    .query(({ ctx, input }) => getProvider(ctx.platform.db, input.provider_id)),

  create: adminProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/providers',
        tags,
        protect: true,
        summary: 'Add an upstream provider (admins)',
        description:
          'Adds an upstream: an OpenAI-compatible server, Anthropic, Gemini or the built-in demo-echo. The API key is encrypted at rest. Private and loopback addresses are refused unless MAAS_ALLOW_PRIVATE_UPSTREAMS is set.',
      },
      created: true,
      errors: ['CONFLICT'],
    })
    .input(CreateProviderInput)
    .output(Provider)
    .mutation(({ ctx, input }) => createProvider(ctx.platform, ctx.actor, input)),

  update: adminProcedure
    .meta({
      openapi: {
        method: 'PATCH',
        path: '/providers/{provider_id}',
        tags,
        protect: true,
        summary: 'Change an upstream provider (admins)',
        description:
          'Changes any field; `api_key: null` removes the stored key. Models routed here see the change at once on this instance.',
      },
      errors: ['CONFLICT'],
    })
    .input(UpdateProviderInput)
    .output(Provider)
    .mutation(({ ctx, input: { provider_id, ...changes } }) => updateProvider(ctx.platform, provider_id, changes)),

  test: adminProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/providers/{provider_id}/test',
        tags,
        protect: true,
        summary: 'Test the connection to a provider (admins)',
        description:
          "Makes one cheap request through the provider's adapter (GET models for openai-compatible, else a 1-token chat to a routed model) with a short timeout, and answers whether it worked, how long it took, the upstream status and the error. An upstream failure is `ok: false`, not an error; demo-echo is always ok.",
      },
    })
    .input(ProviderRef)
    .output(ProviderConnectionTest)
    .mutation(({ ctx, input }) => testProviderConnection(ctx.platform, input.provider_id)),

  delete: adminProcedure
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/providers/{provider_id}',
        tags,
        protect: true,
        summary: 'Remove an unused upstream provider (admins)',
        description: 'Refused with 409 while a model still routes to it.',
      },
      errors: ['CONFLICT'],
    })
    .input(ProviderRef)
    .output(DeletedProvider)
    .mutation(({ ctx, input }) => deleteProvider(ctx.platform, input.provider_id)),
});
