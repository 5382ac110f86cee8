import { AppError } from '../core/errors.js';
import { adminProcedure, authedProcedure, publicProcedure, router } from '../trpc.js';
import { PageInput } from '../core/pagination.js';
import { listRedemptionCodes, mintRedemptionCodes, redeemCode } from './redemption.js';
import {
  CreateTopUpInput,
  ListRedemptionCodesInput,
  MintRedemptionCodesInput,
  RedeemInput,
  Redemption,
  RedemptionCodeBatch,
  RedemptionCodeList,
  StripeWebhookEvent,
  StripeWebhookHeaders,
  StripeWebhookReceipt,
  TopUp,
  TopUpHeaders,
  TopUpList,
  TopUpRef,
} from './schemas.js';
import { createTopUp, getTopUp, listTopUps } from './service.js';

const tags = ['billing'];

// Money in (issue 19 part 6).
export const topUpsRouter = router({
  create: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/wallet/top-ups',
        tags,
        protect: true,
        summary: 'Top up your wallet',
        description:
          '`sandbox` credits the wallet at once (refused with 403 where sandbox payments are off, as in production by default). `stripe` answers `pending` with a `checkout_url`; the wallet is credited once Stripe reports the payment. Send an `Idempotency-Key` header to make retries safe.',
        requestHeaders: TopUpHeaders,
      },
      created: true,
      errors: ['CONFLICT', 'UPSTREAM_ERROR'],
    })
    .input(CreateTopUpInput)
    .output(TopUp)
    .mutation(({ ctx, input }) => createTopUp(ctx.platform, ctx.actor, input, ctx.idempotencyKey)),

  list: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/wallet/top-ups',
        tags,
        protect: true,
        summary: 'Your top-ups, newest first',
        description: 'Paginated, with the status and the provider reference of each.',
      },
    })
    .input(PageInput)
    .output(TopUpList)
    .query(({ ctx, input }) => listTopUps(ctx.platform.db, ctx.actor, input)),

  get: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/wallet/top-ups/{topup_id}',
        tags,
        protect: true,
        summary: 'One of your top-ups',
        description: "Poll it after paying: `completed` once the wallet is credited. Another user's top-up is a 404.",
      },
    })
    .input(TopUpRef)
    .output(TopUp)
    .query(({ ctx, input }) => getTopUp(ctx.platform.db, ctx.actor, input.topup_id)),

  redeem: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/wallet/redeem',
        tags,
        protect: true,
        summary: 'Redeem a code',
        description:
          'Credits the amount of a redemption code, once. An unknown code and one redeemed by someone else are the same 400 (`REDEMPTION_CODE_INVALID`); an expired one is a 400 saying so; one you redeemed already is a 409. Failed attempts are limited like failed sign-ins (429).',
      },
      created: true,
      errors: ['CONFLICT'],
    })
    .input(RedeemInput)
    .output(Redemption)
    .mutation(({ ctx, input }) => redeemCode(ctx.platform, ctx.actor, input, ctx.ip)),

  mintCodes: adminProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/admin/redemption-codes',
        tags: ['admin'],
        protect: true,
        summary: 'Mint a batch of redemption codes',
        description:
          'Creates `count` codes worth `amount` each, optionally expiring. The codes are in this answer only: the platform keeps their SHA-256. Audited (without the codes).',
      },
      created: true,
    })
    .input(MintRedemptionCodesInput)
    .output(RedemptionCodeBatch)
    .mutation(({ ctx, input }) => mintRedemptionCodes(ctx.platform.db, ctx.actor, input)),

  listCodes: adminProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/admin/redemption-codes',
        tags: ['admin'],
        protect: true,
        summary: 'Redemption codes and their state',
        description: 'Paginated, newest first; filter by batch or status (unused, redeemed, expired). Never the codes themselves.',
      },
    })
    .input(ListRedemptionCodesInput)
    .output(RedemptionCodeList)
    .query(({ ctx, input }) => listRedemptionCodes(ctx.platform.db, input)),

  // Documents `POST /api/v1/webhooks/stripe`. REST requests never reach it: the signature covers
  // the raw body, so a Fastify route at that exact path (apps/api/src/routes/stripe-webhook.ts)
  // takes precedence over the router's wildcard. Over /trpc the raw body is gone: refused.
  stripeWebhook: publicProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/webhooks/stripe',
        tags,
        summary: "Stripe's events (Checkout top-ups)",
        description:
          'For Stripe only. The `Stripe-Signature` is checked against the raw body (400 when missing or wrong). `checkout.session.completed` and `checkout.session.async_payment_succeeded` with `payment_status: paid` complete the top-up and credit it once per event id and once per top-up, if the session amount and currency match; expired and failed sessions fail it; other events answer 200 and are ignored. 404 where Stripe is not configured.',
        requestHeaders: StripeWebhookHeaders,
      },
      // 404 where Stripe is not configured: there is no such webhook then.
      errors: ['NOT_FOUND'],
    })
    .input(StripeWebhookEvent)
    .output(StripeWebhookReceipt)
    .mutation(() => {
      throw new AppError('INVALID_REQUEST', { message: 'WEBHOOK_SIGNATURE_INVALID' });
    }),
});
