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
    .meta({ openapi: { method: 'GET', path: '/wallet', tags, summary: 'Your balance, held and available amounts', protect: true } })
    .input(z.void())
    .output(Wallet)
    .query(({ ctx }) => getOwnWallet(ctx.platform.db, ctx.actor)),

  transactions: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/wallet/transactions', tags, summary: 'Your ledger entries, newest first', protect: true } })
    .input(ListWalletTransactionsInput)
    .output(WalletTransactionList)
    .query(({ ctx, input }) => listWalletTransactions(ctx.platform.db, ctx.actor, input)),

  usage: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/usage', tags, summary: 'Your model usage with totals and daily sums', protect: true } })
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
      },
      created: true,
      errors: ['PAYMENT_REQUIRED'],
    })
    .input(AdminWalletMovementInput)
    .output(AdminWalletTransaction)
    .mutation(({ ctx, input }) => adminDebitWallet(ctx.platform, ctx.actor, input)),
});
