import { z } from 'zod';
import { adminProcedure, authedProcedure, router } from '../trpc.js';
import {
  AdminWalletMovementInput,
  AdminWalletTransaction,
  ListWalletTransactionsInput,
  UsageQueryInput,
  UsageReport,
  Wallet,
  WalletTransactionList,
} from './schemas.js';
import { adminCreditWallet, adminDebitWallet, getOwnWallet, listWalletTransactions } from './service.js';
import { getUsageReport } from './usage.js';

const tags = ['billing'];

export const billingRouter = router({
  wallet: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/wallet',
        tags,
        summary: 'Your balance, held and available amounts',
        protect: true,
        description: 'The balance, what model calls in flight hold, and what is available to spend, in currency units.',
      },
    })
    .input(z.void())
    .output(Wallet)
    .query(({ ctx }) => getOwnWallet(ctx.platform.db, ctx.actor)),

  transactions: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/wallet/transactions',
        tags,
        summary: 'Your ledger entries, newest first',
        protect: true,
        description: 'Paginated ledger: signup credits, top-ups, purchases, sales and model usage, each with the balance after it.',
      },
    })
    .input(ListWalletTransactionsInput)
    .output(WalletTransactionList)
    .query(({ ctx, input }) => listWalletTransactions(ctx.platform.db, ctx.actor, input)),

  usage: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/usage',
        tags,
        summary: 'Your model usage with totals and daily sums',
        protect: true,
        description:
          'Your model calls, paginated and filtered by model, application, API key and date range, with totals and per-UTC-day sums over every match. Media calls show the units they were billed by.',
      },
    })
    .input(UsageQueryInput)
    .output(UsageReport)
    .query(({ ctx, input }) => getUsageReport(ctx.platform.db, ctx.actor, input)),

  adminCredit: adminProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/admin/users/{user_id}/wallet/credit',
        tags: ['admin'],
        summary: "Credit a user's wallet",
        protect: true,
        description: 'Adds money to a wallet with a reason, in one ledger entry. Audited.',
      },
      created: true,
    })
    .input(AdminWalletMovementInput)
    .output(AdminWalletTransaction)
    .mutation(({ ctx, input }) => adminCreditWallet(ctx.platform.db, ctx.actor, input)),

  adminDebit: adminProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/admin/users/{user_id}/wallet/debit',
        tags: ['admin'],
        summary: "Debit a user's wallet",
        protect: true,
        description: 'Takes money from a wallet with a reason; refused with 402 when the available balance is too small. Audited.',
      },
      created: true,
      errors: ['PAYMENT_REQUIRED'],
    })
    .input(AdminWalletMovementInput)
    .output(AdminWalletTransaction)
    .mutation(({ ctx, input }) => adminDebitWallet(ctx.platform, ctx.actor, input)),
});
