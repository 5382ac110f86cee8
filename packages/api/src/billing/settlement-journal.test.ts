import { appendFileSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LeasedCallRecord } from './leases.js';
import { foreignJournals, type JournaledCall, readJournal, SettlementJournal } from './settlement-journal.js';

const dirs: string[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'maas-journal-unit-'));
  dirs.push(dir);
  return dir;
}

let counter = 0;
function leased(overrides: Partial<LeasedCallRecord> = {}): JournaledCall {
  counter += 1;
  return {
    kind: 'lease',
    leaseId: 'lease_a',
    userId: 'user_a',
    apiKeyId: null,
    call: {
      callId: `rsv_${counter}`,
      usageId: `usage_${counter}`,
      ledgerEntryId: `txn_${counter}`,
      appId: null,
      modelId: 'model_a',
      providerId: 'prov_a',
      conversationId: null,
      inputTokens: 12,
      cachedInputTokens: 2,
      outputTokens: 30,
      costNano: 123_456_789_012n,
      uncollectedNano: 7n,
      latencyMs: 4,
      status: 'success',
      error: 'a "quoted"\nerror',
      finishedAt: new Date('2026-12-06T19:00:00.123Z'),
      ...overrides,
    },
  };
}

describe('SettlementJournal', () => {
  it('reads back exactly what it wrote, money and times included', () => {
    const dir = tempDir();
    const journal = new SettlementJournal(dir, 'inst_unit1');
    const lease = leased();
    const reservation: JournaledCall = {
      kind: 'reservation',
      reservationId: 'rsv_r',
      costNano: 9_007_199_254_740_993n,
      usage: {
        userId: 'user_a',
        appId: 'app_a',
        apiKeyId: 'key_a',
        modelId: 'model_a',
        inputTokens: 1,
        outputTokens: 2,
        latencyMs: 3,
        status: 'partial',
        error: null,
      },
    };
    journal.append(lease);
    journal.append(reservation);
    const [file] = readdirSync(dir);
    const read = readJournal(path.join(dir, file!));
    expect(read[0]).toEqual(lease);
    expect(read[1]).toEqual({
      ...reservation,
      usage: { ...reservation.usage, providerId: null, conversationId: null, cachedInputTokens: 0 },
    });
  });

  it("keeps a call's model owner and fee (issue 15 part 5), so a replay credits the owner as the first booking would", () => {
    const dir = tempDir();
    const journal = new SettlementJournal(dir, 'inst_unit6');
    const revenue = { ownerId: 'user_owner', feePercent: 15 };
    const lease = leased({ revenue });
    const reservation: JournaledCall = {
      kind: 'reservation',
      reservationId: 'rsv_r2',
      costNano: 5_000n,
      usage: { userId: 'user_a', modelId: 'model_a', inputTokens: 1, outputTokens: 2, latencyMs: 3, status: 'success', revenue },
    };
    journal.append(lease);
    journal.append(reservation);
    const read = readJournal(path.join(dir, readdirSync(dir)[0]!));
    expect(read[0]).toEqual(lease);
    expect(read[1]).toMatchObject({ kind: 'reservation', usage: { revenue } });
  });

  it('empties its file once every call in it is booked, and skips a torn last line', () => {
    const dir = tempDir();
    const journal = new SettlementJournal(dir, 'inst_unit2');
    const first = journal.append(leased());
    const second = journal.append(leased());
    const file = path.join(dir, readdirSync(dir)[0]!);
    expect(readJournal(file)).toHaveLength(2);
    journal.done(first!);
    expect(readJournal(file)).toHaveLength(2);
    journal.done(second!);
    expect(statSync(file).size).toBe(0);
    journal.append(leased());
    expect(readJournal(file)).toHaveLength(1);
    // A machine that died mid-write leaves half a line.
    appendFileSync(file, readFileSync(file, 'utf8').slice(0, 40));
    expect(readJournal(file)).toHaveLength(1);
  });

  it('moves on to a new file after a while under steady load, and deletes the old one once it is booked', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const dir = tempDir();
    const journal = new SettlementJournal(dir, 'inst_unit3');
    const old = journal.append(leased());
    journal.append(leased());
    vi.setSystemTime(Date.now() + 5_000);
    journal.append(leased());
    expect(readdirSync(dir)).toHaveLength(2);
    journal.done(old!);
    expect(readdirSync(dir)).toHaveLength(2);
    // The second call of the old file: the old file goes.
    journal.done(old!);
    expect(readdirSync(dir)).toHaveLength(1);
  });

  it('never offers its own instances for replay, and deletes nothing it still needs on close', () => {
    const dir = tempDir();
    const journal = new SettlementJournal(dir, 'inst_unit4');
    journal.append(leased());
    expect(foreignJournals(dir).size).toBe(0);
    journal.close();
    expect(readdirSync(dir)).toHaveLength(1);
  });

  it('tells a journal of this very process (another module instance, a worker thread) from one of an earlier process with this pid', () => {
    const dir = tempDir();
    const journal = new SettlementJournal(dir, 'inst_unit5');
    journal.append(leased());
    const [name] = readdirSync(dir);
    // Not an instance this module created, but written by this process: left alone.
    renameSync(path.join(dir, name!), path.join(dir, name!.replace('inst_unit5', 'inst_other')));
    expect(foreignJournals(dir).get('inst_other')).toMatchObject({ sameProcess: true, processRunning: true });
    // The same pid, started ten minutes earlier: a process that is gone.
    const started = Number(/-(\d+)\./.exec(name!)![1]);
    renameSync(
      path.join(dir, name!.replace('inst_unit5', 'inst_other')),
      path.join(dir, name!.replace('inst_unit5', 'inst_old').replace(`-${started}.`, `-${started - 600}.`)),
    );
    expect(foreignJournals(dir).get('inst_old')).toMatchObject({ sameProcess: false, processRunning: false });
  });
});
