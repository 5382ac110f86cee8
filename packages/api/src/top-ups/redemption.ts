import { createHash } from 'node:crypto';
import type { Database } from '@maas/db';
import { type Kysely, sql } from 'kysely';
import type { z } from 'zod';
import { clientNetwork } from '../auth/login-limits.js';
import { creditWallet } from '../billing/wallet.js';
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import { newId, randomSecret } from '../core/ids.js';
import { CURRENCY, nanoToAmount } from '../core/money.js';
import { listPage } from '../core/pagination.js';
import type { Platform } from '../core/platform.js';
import { toIso, toIsoOrNull } from '../core/time.js';
import type { ListRedemptionCodesInput, MintRedemptionCodesInput, RedeemInput } from './schemas.js';

const CODE_PREFIX = 'MAAS';
/** Rows per INSERT when minting: far below PostgreSQL's 65 535 parameters. */
const INSERT_CHUNK = 500;

/** `MAAS-` and 120 random bits in six groups of four base32 letters and digits. */
function newCode(): string {
  const body = randomSecret(15).toUpperCase();
  return [CODE_PREFIX, ...(body.match(/.{4}/g) ?? [])].join('-');
}

/** Case, spaces and dashes do not matter: a code read out or retyped still matches. */
function codeHash(code: string): string {
  return createHash('sha256')
    .update(code.toUpperCase().replace(/[\s-]+/g, ''), 'utf8')
    .digest('hex');
}

/** Mints a batch; the plain codes are in this answer only, the database keeps their SHA-256. */
export async function mintRedemptionCodes(db: Kysely<Database>, actor: Actor, input: z.infer<typeof MintRedemptionCodesInput>) {
  const expiresAt = input.expires_at ? new Date(input.expires_at) : null;
  if (expiresAt && expiresAt.getTime() <= Date.now()) {
    throw new AppError('INVALID_REQUEST', { message: 'REDEMPTION_EXPIRY_PAST', details: { field: 'expires_at' } });
  }
  const batchId = newId('rcbatch');
  const codes = Array.from({ length: input.count }, newCode);
  const batch = await db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('redemption_code_batches')
      .values({
        id: batchId,
        amount_nano: input.amount,
        count: input.count,
        expires_at: expiresAt,
        note: input.note || null,
        created_by: actor.userId,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    for (let start = 0; start < codes.length; start += INSERT_CHUNK) {
      await trx
        .insertInto('redemption_codes')
        .values(
          codes.slice(start, start + INSERT_CHUNK).map((code) => ({
            id: newId('rcode'),
            batch_id: batchId,
            code_hash: codeHash(code),
            amount_nano: input.amount,
            expires_at: expiresAt,
          })),
        )
        .execute();
    }
    return row;
  });
  return {
    id: batch.id,
    count: batch.count,
    amount: nanoToAmount(batch.amount_nano),
    currency: CURRENCY,
    expires_at: toIsoOrNull(batch.expires_at),
    note: batch.note,
    created_at: toIso(batch.created_at),
    codes,
  };
}

/** Every code, newest first, with its state; never the code itself (only its hash is known). */
export async function listRedemptionCodes(db: Kysely<Database>, input: z.infer<typeof ListRedemptionCodesInput>) {
  let query = db.selectFrom('redemption_codes as c').innerJoin('redemption_code_batches as b', 'b.id', 'c.batch_id');
  if (input.batch_id) query = query.where('c.batch_id', '=', input.batch_id);
  if (input.status === 'redeemed') query = query.where('c.redeemed_at', 'is not', null);
  if (input.status === 'expired') query = query.where('c.redeemed_at', 'is', null).where('c.expires_at', '<=', sql<Date>`now()`);
  if (input.status === 'unused') {
    query = query
      .where('c.redeemed_at', 'is', null)
      .where((eb) => eb.or([eb('c.expires_at', 'is', null), eb('c.expires_at', '>', sql<Date>`now()`)]));
  }
  const rows = query
    .select(['c.id', 'c.batch_id', 'c.amount_nano', 'c.expires_at', 'c.redeemed_by', 'c.redeemed_at', 'c.created_at', 'b.note'])
    .select(sql<boolean>`c.expires_at IS NOT NULL AND c.expires_at <= now()`.as('expired'))
    .orderBy('c.created_at', 'desc')
    .orderBy('c.id', 'desc');
  return listPage(input, { rows, count: query }, (row) => ({
    id: row.id,
    batch_id: row.batch_id,
    amount: nanoToAmount(row.amount_nano),
    currency: CURRENCY,
    expires_at: toIsoOrNull(row.expires_at),
    note: row.note,
    status: row.redeemed_at ? ('redeemed' as const) : row.expired ? ('expired' as const) : ('unused' as const),
    redeemed_by: row.redeemed_by,
    redeemed_at: toIsoOrNull(row.redeemed_at),
    created_at: toIso(row.created_at),
  }));
}

/**
 * Redeems a code for the caller, once: one UPDATE claims it only while unredeemed and unexpired,
 * and its row lock makes concurrent claims queue and re-check, so exactly one wins; the credit is
 * in the same transaction. Failed attempts count against the sign-in failure budget (per account
 * and per network, under their own keys): a guesser is stopped after a few, a user never notices.
 */
export async function redeemCode(platform: Platform, actor: Actor, input: z.infer<typeof RedeemInput>, ip: string) {
  const attempt = await admitAttempt(platform, actor.userId, ip);
  const hash = codeHash(input.code);
  const redeemed = await platform.db.transaction().execute(async (trx) => {
    const code = await trx
      .updateTable('redemption_codes')
      .set({ redeemed_by: actor.userId, redeemed_at: sql<Date>`now()` })
      .where('code_hash', '=', hash)
      .where('redeemed_by', 'is', null)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', sql<Date>`now()`)]))
      .returning(['id', 'amount_nano', 'redeemed_at'])
      .executeTakeFirst();
    if (!code) return null;
    const entry = await creditWallet(trx, {
      userId: actor.userId,
      amountNano: code.amount_nano,
      kind: 'redemption',
      reason: 'Redemption code',
      referenceId: code.id,
    });
    return { code, entry };
  });
  if (!redeemed) throw await whyNotRedeemed(platform.db, actor, hash);
  await attempt.succeeded();
  return {
    id: redeemed.code.id,
    amount: nanoToAmount(redeemed.code.amount_nano),
    currency: CURRENCY,
    transaction_id: redeemed.entry.id,
    balance_after: nanoToAmount(redeemed.entry.balance_after_nano),
    redeemed_at: toIso(redeemed.code.redeemed_at ?? new Date()),
  };
}

/**
 * Unknown codes and codes someone else redeemed get the same answer, so that an answer never tells
 * a guesser that a code exists; the one who redeemed it is told so, and an expired code says it.
 */
async function whyNotRedeemed(db: Kysely<Database>, actor: Actor, hash: string): Promise<AppError> {
  const code = await db
    .selectFrom('redemption_codes')
    .select(['id', 'redeemed_by', 'redeemed_at'])
    .where('code_hash', '=', hash)
    .executeTakeFirst();
  if (code?.redeemed_by === actor.userId) {
    return new AppError('CONFLICT', {
      message: 'REDEMPTION_CODE_ALREADY_REDEEMED',
      details: { code_id: code.id, redeemed_at: toIsoOrNull(code.redeemed_at) },
    });
  }
  if (code && code.redeemed_by === null)
    return new AppError('INVALID_REQUEST', { message: 'REDEMPTION_CODE_EXPIRED', details: { field: 'code' } });
  return new AppError('INVALID_REQUEST', { message: 'REDEMPTION_CODE_INVALID', details: { field: 'code' } });
}

async function admitAttempt(platform: Platform, userId: string, ip: string): Promise<{ succeeded(): Promise<void> }> {
  const limiter = platform.rateLimits.login;
  if (!limiter) return { succeeded: async () => {} };
  const account = `redeem:${userId}`;
  const network = `redeem:${clientNetwork(ip)}`;
  const verdict = await limiter.begin(account, network);
  if (!verdict.allowed) {
    const retryAfter = String(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000)));
    throw new AppError('RATE_LIMITED', { message: 'TOO_MANY_REDEMPTION_ATTEMPTS', headers: { 'retry-after': retryAfter } });
  }
  return { succeeded: () => limiter.succeeded(account, network) };
}
