import { PageInput } from '../core/pagination.js';
import { authedProcedure, developerProcedure, router, viewerProcedure } from '../trpc.js';
import { listOwnedTools, listPurchases, purchaseTool } from './purchase.js';
import { createReview, listReviews } from './reviews.js';
import {
  CreateReviewInput,
  CreateToolInput,
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
import { createTool, deleteTool, getTool, listTools, updateTool } from './service.js';
import { getToolUsage } from './usage.js';
import { ToolUsage, ToolUsageInput } from './usage-schemas.js';

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
        description: 'Published tools, paginated; filter by category or search, sort by price, rating, downloads or date.',
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
        description:
          'Publishes a tool in the marketplace with a price (0 for free). Buyers pay the price; the author is credited it less the platform fee.',
      },
      created: true,
    })
    .input(CreateToolInput)
    .output(ToolDetail)
    .mutation(({ ctx, input }) => createTool(ctx.platform.db, ctx.actor, input)),

  update: authedProcedure
    .meta({
      openapi: {
        method: 'PATCH',
        path: '/tools/{tool_id}',
        tags,
        protect: true,
        summary: 'Edit a tool (author or admin)',
        description: 'Changes the description, price or other fields; buyers keep what they bought.',
      },
    })
    .input(UpdateToolInput)
    .output(ToolDetail)
    .mutation(({ ctx, input }) => updateTool(ctx.platform.db, ctx.actor, input)),

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
