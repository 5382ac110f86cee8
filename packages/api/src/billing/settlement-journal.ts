import { closeSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { UsageStatus } from '@maas/db';
import type { LeasedCallRecord } from './leases.js';
import type { UsageInput } from './reservations.js';

/*
 * The settlement journal: a finished model call is appended here, with one write(2) and no
 * database round trip, before its answer completes; the batch loop books it a few milliseconds
 * later and only then lets the journal forget it. A process killed in between (kill -9, an OOM
 * kill, a crash) loses nothing: the write sits in the kernel's page cache, which outlives the
 * process, and the next start on the same DATA_DIR books what it finds (see journal-recovery.ts).
 * Booking is idempotent (a call's id is unique in usage_records, a reservation settles once), so
 * replaying a call that was booked after all charges nothing twice.
 *
 * No fsync: it would put a disk flush (milliseconds) back on every answer. The price is bounded and
 * written down in docs/reliability.md: losing the whole machine (power, kernel panic) loses the
 * calls answered in the last few seconds whose pages the kernel had not written back yet
 * (dirty_expire_centisecs, 30 s at most by default), and never more than one lease's worth of
 * money per wallet and instance, which is all a lease lets an instance spend unbooked.
 *
 * Files are segments named `<instance>.<pid>-<process start, epoch s>.<seq>.jsonl`. The active one is emptied whenever all
 * it holds is booked, and replaced after SEGMENT_MS or SEGMENT_BYTES under steady load; a replaced
 * segment is deleted once its last call is booked. Only segments of instances that are gone are
 * replayed (journal-recovery.ts), so instances sharing a DATA_DIR (tests) never book each other's
 * calls. A write that fails (disk full) is logged and the call goes on unjournaled: it is still
 * booked a few milliseconds later, only not protected against a kill meanwhile.
 */

const SEGMENT_MS = 2_000;
const SEGMENT_BYTES = 4 * 1024 * 1024;
const FILE_PATTERN = /^(inst_[a-z0-9]+)\.(\d+)-(\d+)\.(\d+)\.jsonl$/;
/**
 * When this process started, in epoch seconds: with the pid, it tells this process from an earlier
 * one with the same pid (a restarted container's server is PID 1 again). Worker threads of one
 * process compute the same second, give or take one.
 */
const PROCESS_STARTED_S = Math.round(Date.now() / 1000 - process.uptime());

/** A leased call, with what identifies its lease. */
export interface JournaledLeaseCall {
  kind: 'lease';
  leaseId: string;
  userId: string;
  apiKeyId: string | null;
  call: LeasedCallRecord;
}

/** A call funded by its own reservation. */
export interface JournaledReservationCall {
  kind: 'reservation';
  reservationId: string;
  costNano: bigint;
  usage: UsageInput;
}

export type JournaledCall = JournaledLeaseCall | JournaledReservationCall;

export class JournalSegment {
  outstanding = 0;
  bytes = 0;
  sealed = false;
  readonly openedAt = Date.now();

  constructor(
    readonly file: string,
    readonly fd: number,
  ) {}
}

/** Instances of this process: their journals are never replayed by it, even if its pid is a dead process's. */
const LOCAL_INSTANCES = new Set<string>();

export function isLocalInstance(instanceId: string): boolean {
  return LOCAL_INSTANCES.has(instanceId);
}

export class SettlementJournal {
  #active: JournalSegment | null = null;
  #sequence = 0;
  #ready = false;

  constructor(
    readonly dir: string,
    readonly instanceId: string,
    private readonly onError: (error: unknown, label: string) => void = () => {},
  ) {
    LOCAL_INSTANCES.add(instanceId);
  }

  /** Writes the call through to the page cache; `done` once it is booked. Null if the write failed. */
  append(entry: JournaledCall): JournalSegment | null {
    try {
      const line = `${JSON.stringify(encode(entry))}\n`;
      const segment = this.#segmentFor(line.length);
      writeSync(segment.fd, line);
      segment.bytes += line.length;
      segment.outstanding += 1;
      return segment;
    } catch (error) {
      this.onError(error, 'append-settlement-journal');
      return null;
    }
  }

  /** The call written to `segment` is booked: the journal may forget it. */
  done(segment: JournalSegment): void {
    segment.outstanding -= 1;
    if (segment.outstanding > 0) return;
    if (segment.sealed) this.#remove(segment);
    else if (segment.bytes > 0) {
      try {
        ftruncateSync(segment.fd, 0);
        segment.bytes = 0;
      } catch (error) {
        // The calls are booked; a replay of them would book nothing.
        this.onError(error, 'truncate-settlement-journal');
      }
    }
  }

  /** After a drain: closes the active segment, deleting it when it holds nothing unbooked. */
  close(): void {
    const active = this.#active;
    this.#active = null;
    if (active) this.#seal(active);
  }

  #segmentFor(length: number): JournalSegment {
    const active = this.#active;
    if (active && active.bytes + length <= SEGMENT_BYTES && (active.bytes === 0 || Date.now() - active.openedAt < SEGMENT_MS)) {
      return active;
    }
    if (active) this.#seal(active);
    if (!this.#ready) {
      mkdirSync(this.dir, { recursive: true });
      this.#ready = true;
    }
    this.#sequence += 1;
    const file = path.join(this.dir, `${this.instanceId}.${process.pid}-${PROCESS_STARTED_S}.${this.#sequence}.jsonl`);
    const segment = new JournalSegment(file, openSync(file, 'a'));
    this.#active = segment;
    return segment;
  }

  #seal(segment: JournalSegment): void {
    segment.sealed = true;
    if (segment.outstanding === 0) this.#remove(segment);
  }

  #remove(segment: JournalSegment): void {
    if (this.#active === segment) this.#active = null;
    try {
      closeSync(segment.fd);
    } catch {
      // already closed
    }
    try {
      unlinkSync(segment.file);
    } catch {
      // already gone
    }
  }
}

export interface ForeignJournal {
  /** Whether the process that wrote it still runs, as far as this machine can tell. */
  processRunning: boolean;
  /** Written by this very process (another module instance of it, a worker thread). */
  sameProcess: boolean;
  files: string[];
}

/** The segments in `dir` of instances not of this module, by instance, oldest first. */
export function foreignJournals(dir: string): Map<string, ForeignJournal> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return new Map();
  }
  const found: { instance: string; pid: number; started: number; sequence: number; file: string }[] = [];
  for (const name of names) {
    const match = FILE_PATTERN.exec(name);
    if (!match) continue;
    const [, instance = '', pid = '0', started = '0', sequence = '0'] = match;
    if (LOCAL_INSTANCES.has(instance)) continue;
    found.push({ instance, pid: Number(pid), started: Number(started), sequence: Number(sequence), file: path.join(dir, name) });
  }
  found.sort((a, b) => a.sequence - b.sequence);
  const byInstance = new Map<string, ForeignJournal>();
  for (const { instance, pid, started, file } of found) {
    let entry = byInstance.get(instance);
    if (!entry) {
      const sameProcess = pid === process.pid && Math.abs(started - PROCESS_STARTED_S) <= 2;
      entry = { sameProcess, processRunning: sameProcess || (pid !== process.pid && processRunning(pid)), files: [] };
      byInstance.set(instance, entry);
    }
    entry.files.push(file);
  }
  return byInstance;
}

function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The calls in a segment; a torn last line (the machine died mid-write) is skipped. */
export function readJournal(file: string): JournaledCall[] {
  const calls: JournaledCall[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      calls.push(decode(JSON.parse(line) as Encoded));
    } catch {
      // torn or foreign line
    }
  }
  return calls;
}

export function removeJournal(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}

// One JSON array per line, fields by position (an array encodes in about a third of the time of
// an object with keys, and this runs once per answered call); money as decimal strings (JSON has
// no bigint), times as epoch milliseconds.
type Encoded = (string | number | null)[];

function encode(entry: JournaledCall): Encoded {
  if (entry.kind === 'reservation') {
    const u = entry.usage;
    return [
      'r',
      entry.reservationId,
      entry.costNano.toString(),
      u.userId,
      u.appId ?? null,
      u.apiKeyId ?? null,
      u.modelId,
      u.providerId ?? null,
      u.conversationId ?? null,
      u.inputTokens,
      u.cachedInputTokens ?? 0,
      u.outputTokens,
      u.latencyMs,
      u.status,
      u.error ?? null,
      u.revenue?.ownerId ?? null,
      u.revenue?.feePercent ?? 0,
    ];
  }
  const c = entry.call;
  return [
    'l',
    entry.leaseId,
    entry.userId,
    entry.apiKeyId,
    c.callId,
    c.usageId,
    c.ledgerEntryId,
    c.appId,
    c.modelId,
    c.providerId,
    c.conversationId,
    c.inputTokens,
    c.cachedInputTokens ?? 0,
    c.outputTokens,
    c.costNano.toString(),
    (c.uncollectedNano ?? 0n).toString(),
    c.latencyMs,
    c.status,
    c.error,
    c.finishedAt.getTime(),
    c.revenue?.ownerId ?? null,
    c.revenue?.feePercent ?? 0,
  ];
}

function decode(encoded: Encoded): JournaledCall {
  const text = (i: number): string | null => {
    const value = encoded[i];
    return typeof value === 'string' ? value : null;
  };
  const number = (i: number): number => {
    const value = encoded[i];
    return typeof value === 'number' ? value : 0;
  };
  // The owner to credit and the fee, last on the line; absent (null) for a model with no owner to credit.
  const revenueAt = (i: number) => {
    const ownerId = text(i);
    return ownerId ? { revenue: { ownerId, feePercent: number(i + 1) } } : {};
  };
  if (encoded[0] === 'r') {
    return {
      kind: 'reservation',
      reservationId: text(1) ?? '',
      costNano: BigInt(text(2) ?? '0'),
      usage: {
        userId: text(3) ?? '',
        appId: text(4),
        apiKeyId: text(5),
        modelId: text(6) ?? '',
        providerId: text(7),
        conversationId: text(8),
        inputTokens: number(9),
        cachedInputTokens: number(10),
        outputTokens: number(11),
        latencyMs: number(12),
        status: (text(13) ?? 'failed') as UsageStatus,
        error: text(14),
        ...revenueAt(15),
      },
    };
  }
  if (encoded[0] !== 'l') throw new Error('not a journaled call');
  const call: LeasedCallRecord = {
    callId: text(4) ?? '',
    usageId: text(5) ?? '',
    ledgerEntryId: text(6) ?? '',
    appId: text(7),
    modelId: text(8) ?? '',
    providerId: text(9),
    conversationId: text(10),
    inputTokens: number(11),
    cachedInputTokens: number(12),
    outputTokens: number(13),
    costNano: BigInt(text(14) ?? '0'),
    uncollectedNano: BigInt(text(15) ?? '0'),
    latencyMs: number(16),
    status: (text(17) ?? 'failed') as UsageStatus,
    error: text(18),
    finishedAt: new Date(number(19)),
    ...revenueAt(20),
  };
  return { kind: 'lease', leaseId: text(1) ?? '', userId: text(2) ?? '', apiKeyId: text(3), call };
}
