import { authedProcedure, router } from '../trpc.js';
import { ApiKeyList, CreateApiKeyInput, CreatedApiKey, ListApiKeysInput, RevokeApiKeyInput, RevokeApiKeyResult } from './schemas.js';
import { createApiKey, listApiKeys, revokeApiKey } from './service.js';

const tags = ['api-keys'];

export const apiKeysRouter = router({
  create: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/api-keys',
        tags,
        summary: 'Create an API key (the key is shown once)',
        protect: true,
        description:
          'An `sk-…` key for the OpenAI- and Anthropic-compatible endpoints (/v1/*), optionally limited to some models, with a spend cap and an expiry. The secret is answered once and stored only as a hash.',
      },
      created: true,
    })
    .input(CreateApiKeyInput)
    .output(CreatedApiKey)
    .mutation(({ ctx, input }) => createApiKey(ctx.platform.db, ctx.actor, input)),

  list: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/api-keys',
        tags,
        summary: 'List your API keys',
        protect: true,
        description: 'Your keys with their prefix, limits, spend and last use; never the secret.',
      },
    })
    .input(ListApiKeysInput)
    .output(ApiKeyList)
    .query(({ ctx, input }) => listApiKeys(ctx.platform.db, ctx.actor, input)),

  revoke: authedProcedure
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/api-keys/{key_id}',
        tags,
        summary: 'Revoke one of your API keys',
        protect: true,
        description: 'The key stops working at once on this instance and within the cache TTL on others.',
      },
    })
    .input(RevokeApiKeyInput)
    .output(RevokeApiKeyResult)
    .mutation(({ ctx, input }) => revokeApiKey(ctx.platform, ctx.actor, input)),
});
