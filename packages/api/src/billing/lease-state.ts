import { newId } from '../core/ids.js';
import type { LeasedCallRecord } from './leases.js';
import type { JournalSegment } from './settlement-journal.js';

/*
 * One wallet lease as the instance spending it sees it: its hold, what its calls have committed
 * of it, and its finished calls waiting to be booked. WalletLeases (wallet-leases.ts) drives it.
 */

/** A finished call waiting to be booked, with the journal segment that keeps it until then. */
export type PendingCall = LeasedCallRecord & { journaled?: JournalSegment | null };

/** What a finished call reports; the lease book adds the ids and the time. */
export type LeasedCallOutcome = Omit<LeasedCallRecord, 'callId' | 'usageId' | 'ledgerEntryId' | 'finishedAt' | 'uncollectedNano'>;

export class Lease {
  /** Holds of calls in flight plus charges of finished calls, booked or not: never above amountNano. */
  committedNano = 0n;
  inFlight = 0;
  retired = false;
  closed = false;
  pending: PendingCall[] = [];
  flushTimer: NodeJS.Timeout | null = null;
  flushing: Promise<void> | null = null;
  closing: Promise<void> | null = null;
  lastUsedAt = Date.now();
  readonly openedAt = Date.now();

  constructor(
    readonly key: string,
    readonly leaseId: string,
    readonly userId: string,
    readonly apiKeyId: string | null,
    /** Lowered when the owner reclaims what the lease's calls do not need. */
    public amountNano: bigint,
  ) {}

  get idle(): boolean {
    return this.inFlight === 0 && this.pending.length === 0 && this.flushing === null;
  }
}

export interface LeaseHold {
  readonly callId: string;
  readonly holdNano: bigint;
  readonly lease: Lease;
  settled: boolean;
}

// Call ids need to be unique, not secret (they never authorise anything): a random per-process
// prefix and a counter spare the hot path a CSPRNG call per request.
const CALL_ID_PREFIX = newId('rsv');
let callCounter = 0;

export function nextCallId(): string {
  callCounter += 1;
  return `${CALL_ID_PREFIX}${callCounter.toString(36)}`;
}
