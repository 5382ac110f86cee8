import { PageInput } from '../core/pagination.js';
import { authedProcedure, developerProcedure, router, viewerProcedure } from '../trpc.js';
import { getAppTools, setAppTools } from './attachments.js';
import { listOwnedTools, listPurchases, purchaseTool } from './purchase.js';
import { createReview, listReviews } from './reviews.js';
import {
  AppRef,
  AppToolList,
  CreatedTool,
  CreateReviewInput,
  CreateToolInput,
  ListVersionsInput,
  PublishVersionInput,
  SetAppToolsInput,
  ToolSigningSecret,
  ToolVersion,
  ToolVersionList,
  DeletedTool,
  ListReviewsInput,
  ListToolsInput,
  OwnedToolList,
  PurchaseHeaders,
  PurchaseInput,
  ToolDetail,
  ToolList,
  ToolOrder,
  ToolOrderList,
  ToolRef,
  ToolReview,
  ToolReviewList,
  UpdateToolInput,
} from './schemas.js';
import { createTool, deleteTool, getTool, listTools, rotateSigningSecret, updateTool } from './service.js';
import { getToolUsage } from './usage.js';
import { ToolUsage, ToolUsageInput } from './usage-schemas.js';
import { listVersions, publishVersion } from './versions.js';

const tags = ['tools'];

// trpc-to-openapi matches paths in the order procedures are declared: the static
// `/tools/purchases` and `/tools/owned` must come before `/tools/{tool_id}`.
export const toolsRouter = router({
  list: viewerProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/tools',
        tags,
        summary: 'List published tools',
        description:
          'Published tools, paginated; filter by category or search, sort by price, rating, downloads (distinct buyers and installers), date or calls in the last 30 days.',
      },
    })
    .input(ListToolsInput)
    .output(ToolList)
    .query(({ ctx, input }) => listTools(ctx.platform.db, input)),

  purchases: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/tools/purchases',
        tags,
        protect: true,
        summary: 'My tool orders',
        description: 'Your orders, newest first, with what each cost.',
      },
    })
    .input(PageInput)
    .output(ToolOrderList)
    .query(({ ctx, input }) => listPurchases(ctx.platform.db, ctx.actor, input)),

  owned: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/tools/owned',
        tags,
        protect: true,
        summary: 'Tools I own',
        description: 'The tools you bought, with the date of purchase.',
      },
    })
    .input(PageInput)
    .output(OwnedToolList)
    .query(({ ctx, input }) => listOwnedTools(ctx.platform.db, ctx.actor, input)),

  get: viewerProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/tools/{tool_id}',
        tags,
        summary: 'A tool with its details',
        description: 'One tool with its author, price, rating and downloads, and whether you own it.',
      },
    })
    .input(ToolRef)
    .output(ToolDetail)
    .query(({ ctx, input }) => getTool(ctx.platform.db, ctx.actor, input.tool_id)),

  create: developerProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/tools',
        tags,
        protect: true,
        summary: 'Publish a tool (developers)',
        description: [
          'Publishes a tool in the marketplace with a price (0 for free). Buyers pay the price; the author is credited it less the platform fee.',
          'A callable tool has a `kind`: `http` (an `endpoint_url` and `functions`, or an `openapi` document to import them from) or `mcp` (a `server_url` whose `tools/list` is read now).',
          '`price_per_call` is charged on each successful call. `config_schema` says what an installer supplies; its `"secret": true` fields are stored encrypted.',
          'The answer holds the `signing_secret` the platform signs calls with: it is shown only here (rotate it with POST /tools/{tool_id}/signing-secret).',
          'New versions are published with POST /tools/{tool_id}/versions.',
        ].join(' '),
      },
      created: true,
    })
    .input(CreateToolInput)
    .output(CreatedTool)
    .mutation(({ ctx, input }) => createTool(ctx.platform, ctx.actor, input)),

  update: authedProcedure
    .meta({
      openapi: {
        method: 'PATCH',
        path: '/tools/{tool_id}',
        tags,
        protect: true,
        summary: 'Edit a tool (author or admin)',
        description:
          'Changes the description, price, per-call price, config schema or other fields; buyers keep what they bought. What a tool runs (kind, endpoint, functions) changes only by publishing a new version (POST /tools/{tool_id}/versions); `version` here switches a callable tool to one of its published versions.',
      },
    })
    .input(UpdateToolInput)
    .output(ToolDetail)
    .mutation(({ ctx, input }) => updateTool(ctx.platform, ctx.actor, input)),

  versions: viewerProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/tools/{tool_id}/versions',
        tags,
        summary: 'Versions of a tool',
        description: 'Published versions, newest first, each with its functions; `current` marks the one calls use by default.',
      },
    })
    .input(ListVersionsInput)
    .output(ToolVersionList)
    .query(({ ctx, input }) => listVersions(ctx.platform.db, ctx.actor, input)),

  publishVersion: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/tools/{tool_id}/versions',
        tags,
        protect: true,
        summary: 'Publish a new version (author or admin)',
        description:
          "Publishes a version (what it runs: kind, endpoint or server, functions) and makes it the tool's current one. Older versions stay callable for applications that pinned them; a published version never changes (409 for an existing one).",
      },
      created: true,
      errors: ['CONFLICT'],
    })
    .input(PublishVersionInput)
    .output(ToolVersion)
    .mutation(({ ctx, input }) => publishVersion(ctx.platform, ctx.actor, input)),

  rotateSigningSecret: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/tools/{tool_id}/signing-secret',
        tags,
        protect: true,
        summary: 'Rotate the signing secret (author or admin)',
        description: 'Replaces the secret calls are signed with and answers the new one, once. Calls from now on are signed with it.',
      },
    })
    .input(ToolRef)
    .output(ToolSigningSecret)
    .mutation(({ ctx, input }) => rotateSigningSecret(ctx.platform, ctx.actor, input.tool_id)),

  appTools: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/applications/{app_id}/tools',
        tags: ['applications'],
        protect: true,
        summary: "An application's tools",
        description:
          'The tools attached to your application, in order, with the names the model sees. Secret config fields are never shown: `secret_fields_set` names those that hold a value.',
      },
    })
    .input(AppRef)
    .output(AppToolList)
    .query(({ ctx, input }) => getAppTools(ctx.platform, ctx.actor, input.app_id)),

  setAppTools: authedProcedure
    .meta({
      openapi: {
        method: 'PUT',
        path: '/applications/{app_id}/tools',
        tags: ['applications'],
        protect: true,
        summary: "Replace an application's tools",
        description:
          "Replaces the whole set: the body is the array of attachments, or `{\"tools\": [...]}`; an empty one detaches all. Only tools the app's owner bought, wrote, or that are free can be attached (403 `TOOL_NOT_ENTITLED` otherwise); a free tool's first attach acquires it. `config` is validated against the tool's config_schema; `fixed_arguments` are injected on every call and removed from the schema the model sees.",
      },
      errors: ['FORBIDDEN'],
    })
    .input(SetAppToolsInput)
    .output(AppToolList)
    .mutation(({ ctx, input }) => setAppTools(ctx.platform, ctx.actor, input)),

  delete: authedProcedure
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/tools/{tool_id}',
        tags,
        protect: true,
        summary: 'Remove a tool (author or admin)',
        description: 'Unpublishes the tool; existing buyers keep their purchase records.',
      },
    })
    .input(ToolRef)
    .output(DeletedTool)
    .mutation(({ ctx, input }) => deleteTool(ctx.platform.db, ctx.actor, input.tool_id)),

  purchase: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/tools/{tool_id}/purchase',
        tags,
        protect: true,
        summary: 'Buy a tool',
        description: 'Send an `Idempotency-Key` header to make retries safe: the same key answers the first result again.',
        requestHeaders: PurchaseHeaders,
      },
      created: true,
      errors: ['PAYMENT_REQUIRED', 'CONFLICT'],
    })
    .input(PurchaseInput)
    .output(ToolOrder)
    .mutation(({ ctx, input }) => purchaseTool(ctx.platform, ctx.actor, input, ctx.idempotencyKey)),

  reviews: viewerProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/tools/{tool_id}/reviews',
        tags,
        summary: 'Reviews of a tool',
        description: 'Paginated, newest first.',
      },
    })
    .input(ListReviewsInput)
    .output(ToolReviewList)
    .query(({ ctx, input }) => listReviews(ctx.platform.db, ctx.actor, input)),

  createReview: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/tools/{tool_id}/reviews',
        tags,
        protect: true,
        summary: 'Review a tool you own',
        description: "One review per buyer and tool, with a rating from 1 to 5; the tool's rating is recomputed.",
      },
      created: true,
      errors: ['CONFLICT'],
    })
    .input(CreateReviewInput)
    .output(ToolReview)
    .mutation(({ ctx, input }) => createReview(ctx.platform.db, ctx.actor, input)),

  usage: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/tools/{tool_id}/usage',
        tags,
        protect: true,
        summary: "A tool's calls and revenue (author or admin)",
        description:
          'Every call of the tool, newest first (function, status, latency, what the caller paid and what you were credited), with totals over the optional `since`/`until` window.',
      },
    })
    .input(ToolUsageInput)
    .output(ToolUsage)
    .query(({ ctx, input }) => getToolUsage(ctx.platform.db, ctx.actor, input)),
});
