import type { Database } from '@maas/db';
import type { Kysely } from 'kysely';
import { isDatabaseUnavailable } from '../core/errors.js';
import { bookOrphanedLeaseCalls } from './crash-recovery.js';
import { Lease, type LeaseHold, type LeasedCallOutcome, nextCallId, type PendingCall } from './lease-state.js';
import { shrinkLease } from './lease-reclaim.js';
import { closeLease, collectLeaseExcess, openLease, settleLeaseCalls } from './leases.js';
import type { SettlementJournal } from './settlement-journal.js';

export type { LeaseHold, LeasedCallOutcome } from './lease-state.js';

/*
 * Per-instance wallet leases: the hot path's way to reserve money without a database round trip.
 *
 * An instance opens one lease per (user, API key): a single atomic hold, sized for many
 * worst-case calls but never more than a share of what is spendable. Each call then holds its own
 * worst case from the lease in memory, and when it finishes its exact cost (never above its hold)
 * is queued and booked with other calls in one statement a few milliseconds later.
 *
 * Why this stays exact: the database only ever sees the lease's hold, which the wallet and key
 * CHECK constraints already bound, and the in-memory ledger of the lease (holds in flight plus
 * charges) never exceeds it, so no batch can charge more than was held. Balance = ledger sum
 * because every booked charge writes its ledger entry in the same statement. A batch that fails
 * (database restarting) stays queued and is retried; replaying one after a lost reply books
 * nothing twice (call ids are unique in usage_records).
 *
 * Near the edge of a balance no lease fits (below `minimumCalls` holds) and callers fall back to
 * a per-call reservation, so the last cent is still spendable exactly.
 *
 * Durability: a finished call is appended to the settlement journal (settlement-journal.ts) before
 * `settle` returns, so before its answer completes; a kill of the process loses no answered call.
 * The lease's hold is the owner's money: a debit of the owner shrinks it to what its calls need
 * (`reclaimForDebit`, `reclaimRequested`).
 */

export interface WalletLeaseOptions {
  /** A lease aims to cover this many worst-case holds of the call that opened it. */
  leaseCalls: number;
  /** Below this many holds no lease is opened: per-call reservations are exact at the edge. */
  minimumCalls: number;
  /** A lease takes at most 1/share of what is spendable, so other instances can open theirs. */
  share: number;
  /** A lease takes new calls for this long, then is closed once its calls are booked. */
  lifetimeMs: number;
  /** A lease with no call for this long is closed, giving its hold back. */
  idleMs: number;
  /** Finished calls wait this long to be booked together. */
  flushDelayMs: number;
  maxBatch: number;
}

export const DEFAULT_LEASE_OPTIONS: WalletLeaseOptions = {
  leaseCalls: 256,
  minimumCalls: 8,
  share: 4,
  lifetimeMs: 10_000,
  idleMs: 2_000,
  flushDelayMs: 20,
  maxBatch: 500,
};

/** Where a lease's calls are made durable, and which instance owns the leases it opens. */
export interface LeaseDurability {
  instanceId: string | null;
  journal: SettlementJournal | null;
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class WalletLeases {
  readonly #current = new Map<string, Lease>();
  readonly #live = new Set<Lease>();
  readonly #opening = new Map<string, Promise<Lease | null>>();
  /** Wallets where no lease fit lately (for holds this large or larger): skip straight to per-call reservations for a moment. */
  readonly #refused = new Map<string, { until: number; holdNano: bigint }>();
  readonly #maintenance: NodeJS.Timeout;
  #stopping = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly options: WalletLeaseOptions = DEFAULT_LEASE_OPTIONS,
    private readonly onError: (error: unknown, label: string) => void = () => {},
    private readonly durability: LeaseDurability = { instanceId: null, journal: null },
  ) {
    this.#maintenance = setInterval(() => this.#maintain(), Math.max(100, Math.min(options.idleMs, 1_000)));
    this.#maintenance.unref();
  }

  /**
   * Holds `holdNano` for one call from the caller's lease, opening one if needed. Null when no
   * lease can cover it (near the edge of the balance or cap): the caller reserves per call.
   */
  async hold(userId: string, apiKeyId: string | null, holdNano: bigint): Promise<LeaseHold | null> {
    if (this.#stopping || holdNano <= 0n) return null;
    const key = `${userId}\u0000${apiKeyId ?? ''}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      const lease = this.#current.get(key);
      if (lease) {
        const taken = this.#take(lease, holdNano);
        if (taken) return taken;
        this.#retire(lease);
      }
      const refused = this.#refused.get(key);
      if (refused && refused.until > Date.now() && holdNano >= refused.holdNano) return null;
      const opened = await this.#open(key, userId, apiKeyId, holdNano);
      if (!opened) return null;
    }
    return null;
  }

  /**
   * Books a finished call: its exact cost. A cost above the call's hold (an under-estimate) is
   * taken from the lease's unused room, which is money already held on the wallet; only what even
   * that cannot cover is recorded as uncollected. Call once per hold.
   */
  settle(hold: LeaseHold, outcome: LeasedCallOutcome): void {
    if (hold.settled) return;
    hold.settled = true;
    const { lease } = hold;
    const failed = outcome.status === 'failed';
    const cost = failed || outcome.costNano < 0n ? 0n : outcome.costNano;
    let charge = cost;
    if (charge > hold.holdNano) {
      const room = lease.amountNano - lease.committedNano;
      const extra = charge - hold.holdNano;
      charge = hold.holdNano + (extra < room ? extra : room > 0n ? room : 0n);
    }
    lease.committedNano -= hold.holdNano - charge;
    lease.inFlight -= 1;
    lease.lastUsedAt = Date.now();
    const random = hold.callId.slice(4);
    const call: PendingCall = {
      callId: hold.callId,
      usageId: `usage_${random}`,
      ledgerEntryId: `txn_${random}`,
      appId: outcome.appId,
      modelId: outcome.modelId,
      providerId: outcome.providerId,
      conversationId: outcome.conversationId,
      inputTokens: outcome.inputTokens,
      cachedInputTokens: outcome.cachedInputTokens,
      outputTokens: outcome.outputTokens,
      units: outcome.units ?? null,
      costNano: charge,
      uncollectedNano: cost - charge,
      latencyMs: outcome.latencyMs,
      status: outcome.status,
      error: outcome.error,
      finishedAt: new Date(),
      revenue: outcome.revenue ?? null,
    };
    // Written through before the answer completes: the one step that makes a kill lose nothing.
    call.journaled = this.durability.journal?.append({
      kind: 'lease',
      leaseId: lease.leaseId,
      userId: lease.userId,
      apiKeyId: lease.apiKeyId,
      call,
    });
    lease.pending.push(call);
    this.#scheduleFlush(lease);
  }

  /** Books every finished call and closes every lease whose calls are done (tests, shutdown). */
  async drain(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const lease of this.#live) this.#retire(lease);
    while (this.#live.size > 0 && Date.now() < deadline) {
      const work: Promise<void>[] = [];
      for (const lease of this.#live) {
        if (lease.pending.length > 0 || lease.flushing) work.push(this.#flush(lease));
        else if (lease.inFlight === 0) work.push(this.#close(lease));
      }
      if (work.length > 0) await Promise.all(work);
      else await sleep(5);
    }
    for (const lease of this.#live) {
      this.onError(
        new Error(`lease ${lease.leaseId} not closed: ${lease.inFlight} calls in flight, ${lease.pending.length} unbooked`),
        'drain-wallet-leases',
      );
    }
  }

  /** Stops taking calls; `drain` then books and closes what is left. */
  stop(): void {
    this.#stopping = true;
    clearInterval(this.#maintenance);
  }

  get openLeaseCount(): number {
    return this.#live.size;
  }

  /**
   * Gives the user's money back from this instance's leases of theirs, in `db` (the transaction of
   * the debit that needs it): each lease stops taking calls and keeps only what its calls in flight
   * and its charges need. Should the transaction roll back, the lease still closes soon and gives
   * back whatever it holds then.
   */
  async reclaimForDebit(db: Kysely<Database>, userId: string): Promise<void> {
    for (const lease of this.#live) {
      if (lease.userId === userId && !lease.closed) await this.#shrink(db, lease);
    }
  }

  /** Answers reclaim requests found for this instance's leases (another instance's debit asked). */
  async reclaimRequested(leaseIds: readonly string[]): Promise<void> {
    const wanted = new Set(leaseIds);
    for (const lease of this.#live) {
      if (!wanted.has(lease.leaseId) || lease.closed) continue;
      await this.#shrink(this.db, lease).catch((error: unknown) => this.onError(error, 'reclaim-wallet-lease'));
    }
  }

  async #shrink(db: Kysely<Database>, lease: Lease): Promise<void> {
    // Retired first, synchronously: from here committedNano only goes down (calls settle at or
    // below their holds), so the lease never needs more than this.
    this.#retire(lease);
    const keep = lease.committedNano;
    if (keep < lease.amountNano) lease.amountNano = keep;
    await shrinkLease(db, lease.leaseId, keep);
  }

  /** The journal may forget calls that are booked. */
  #forget(batch: readonly PendingCall[]): void {
    const journal = this.durability.journal;
    if (!journal) return;
    for (const call of batch) if (call.journaled) journal.done(call.journaled);
  }

  #take(lease: Lease, holdNano: bigint): LeaseHold | null {
    if (lease.retired || Date.now() - lease.openedAt > this.options.lifetimeMs) return null;
    if (lease.amountNano - lease.committedNano < holdNano) return null;
    lease.committedNano += holdNano;
    lease.inFlight += 1;
    lease.lastUsedAt = Date.now();
    return { callId: nextCallId(), holdNano, lease, settled: false };
  }

  #open(key: string, userId: string, apiKeyId: string | null, holdNano: bigint): Promise<Lease | null> {
    let opening = this.#opening.get(key);
    if (!opening) {
      opening = (async () => {
        const opened = await openLease(this.db, {
          userId,
          apiKeyId,
          desiredNano: holdNano * BigInt(this.options.leaseCalls),
          minimumNano: holdNano * BigInt(this.options.minimumCalls),
          share: BigInt(this.options.share),
          instanceId: this.durability.instanceId,
        });
        if (!opened) {
          this.#refused.set(key, { until: Date.now() + 1_000, holdNano });
          return null;
        }
        const lease = new Lease(key, opened.leaseId, userId, apiKeyId, opened.amountNano);
        this.#live.add(lease);
        this.#current.set(key, lease);
        return lease;
      })().finally(() => this.#opening.delete(key));
      this.#opening.set(key, opening);
    }
    return opening;
  }

  #retire(lease: Lease): void {
    if (!lease.retired) {
      lease.retired = true;
      if (this.#current.get(lease.key) === lease) this.#current.delete(lease.key);
    }
    if (lease.idle) void this.#close(lease);
  }

  #scheduleFlush(lease: Lease): void {
    if (lease.flushing || lease.flushTimer) return;
    if (lease.pending.length >= this.options.maxBatch) {
      void this.#flush(lease);
      return;
    }
    lease.flushTimer = setTimeout(() => {
      lease.flushTimer = null;
      void this.#flush(lease);
    }, this.options.flushDelayMs);
  }

  /** Books the lease's queue in batches; a failed batch stays queued and is retried with backoff. */
  #flush(lease: Lease): Promise<void> {
    if (lease.flushing) return lease.flushing;
    if (lease.flushTimer) {
      clearTimeout(lease.flushTimer);
      lease.flushTimer = null;
    }
    lease.flushing = (async () => {
      let backoffMs = 50;
      let failures = 0;
      while (lease.pending.length > 0) {
        const batch = lease.pending.slice(0, this.options.maxBatch);
        try {
          const result = await settleLeaseCalls(this.db, lease, batch);
          if (!result.leaseOpen) {
            // Released by another instance that took this one for dead (no heartbeat for a long
            // while): its money went back to the wallet, so these calls are charged from there.
            this.#retire(lease);
            await bookOrphanedLeaseCalls(this.db, lease, batch);
            this.onError(
              new Error(`lease ${lease.leaseId} was released early; ${batch.length} calls booked from the wallet`),
              'settle-lease-calls',
            );
          }
          lease.pending.splice(0, batch.length);
          // Under-estimated calls the lease could not cover: the rest comes from the wallet itself.
          for (const call of batch) {
            if (call.uncollectedNano !== undefined && call.uncollectedNano > 0n && result.leaseOpen) {
              await collectLeaseExcess(this.db, {
                userId: lease.userId,
                apiKeyId: lease.apiKeyId,
                usageId: call.usageId,
                modelId: call.modelId,
                revenue: call.revenue ?? null,
              }).catch((error: unknown) => this.onError(error, 'collect-lease-excess'));
            }
          }
          // Only now: a crash before this point replays the batch, collecting what is owed.
          this.#forget(batch);
          backoffMs = 50;
          failures = 0;
          // Under steady load calls keep arriving while a batch is written; looping straight on
          // booked them a few at a time, back to back (a statement every ~3 ms, PostgreSQL busy on
          // a core's worth of tiny batches). Less than a full batch waits for the next flush delay.
          if (lease.pending.length < this.options.maxBatch && !this.#stopping) break;
        } catch (error) {
          this.onError(error, 'settle-lease-calls');
          // An unreachable database is waited out, however long; any other failure is a bug that
          // retrying will not fix, and must not wedge the lease: after a few tries the batch is
          // dropped (logged), its holds come back when the lease closes, nothing is charged.
          failures += 1;
          if (!isDatabaseUnavailable(error) && failures >= 5) {
            lease.pending.splice(0, batch.length);
            this.#forget(batch);
            this.onError(
              new Error(`dropped ${batch.length} calls of lease ${lease.leaseId} after ${failures} failures`),
              'settle-lease-calls',
            );
            failures = 0;
            continue;
          }
          await sleep(backoffMs);
          backoffMs = Math.min(2_000, backoffMs * 2);
        }
      }
    })().finally(() => {
      lease.flushing = null;
      if (lease.pending.length > 0) this.#scheduleFlush(lease);
      else if (lease.retired && lease.idle) void this.#close(lease);
    });
    return lease.flushing;
  }

  #close(lease: Lease): Promise<void> {
    if (lease.closed) return Promise.resolve();
    if (lease.closing) return lease.closing;
    lease.closing = (async () => {
      try {
        await closeLease(this.db, lease.leaseId);
        lease.closed = true;
        this.#live.delete(lease);
      } catch (error) {
        // Stays live: the next maintenance tick or drain tries again.
        this.onError(error, 'close-wallet-lease');
      }
    })().finally(() => {
      lease.closing = null;
    });
    return lease.closing;
  }

  #maintain(): void {
    const now = Date.now();
    for (const lease of this.#live) {
      const expired = now - lease.openedAt > this.options.lifetimeMs;
      const idleTooLong = lease.inFlight === 0 && now - lease.lastUsedAt > this.options.idleMs;
      if (expired || idleTooLong || lease.retired) this.#retire(lease);
    }
    for (const [key, refused] of this.#refused) if (refused.until <= now) this.#refused.delete(key);
  }
}

declare module '../core/platform.js' {
  interface Platform {
    /** Per-instance wallet leases funding model calls without a round trip; null: per-call reservations only. */
    leases: WalletLeases | null;
  }
}
