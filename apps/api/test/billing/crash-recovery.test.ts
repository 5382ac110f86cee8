import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Database } from '@maas/db';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEAD_AFTER_MS,
  type LeasedCallRecord,
  newId,
  openLease,
  recoverJournals,
  releaseDeadInstanceHolds,
  reserveFunds,
  SettlementJournal,
} from '@maas/api/testing';
import { signUp, startChatWorld, type ChatWorld } from '../kit/index.js';
import { brokenInvariants, readBooks } from '../platform/books.js';

/*
 * Issue 17 parts 1 and 2, below the HTTP layer: what a crashed instance leaves behind (holds in
 * the database, answered calls in its settlement journal) is put right.
 */

const UNIT = 1_000_000_000n;

let world: ChatWorld;
let db: Kysely<Database>;
const dirs: string[] = [];

beforeAll(async () => {
  world = await startChatWorld();
  db = world.server.server.platform.db;
});
afterAll(async () => {
  await world?.server.close();
  await world?.upstream.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function deadInstance(beatMsAgo: number): Promise<string> {
  const id = newId('inst');
  await sql`INSERT INTO billing_instances (id, pid, heartbeat_at)
            VALUES (${id}, 1, now() - ${beatMsAgo}::double precision * interval '1 millisecond')`.execute(db);
  return id;
}

function callRecord(costNano: bigint): LeasedCallRecord {
  const random = newId('rsv').slice(4);
  return {
    callId: `rsv_${random}`,
    usageId: `usage_${random}`,
    ledgerEntryId: `txn_${random}`,
    appId: null,
    modelId: 'model_test',
    providerId: null,
    conversationId: null,
    inputTokens: 10,
    cachedInputTokens: 0,
    outputTokens: 20,
    costNano,
    uncollectedNano: 0n,
    latencyMs: 3,
    status: 'success',
    error: null,
    finishedAt: new Date(),
  };
}

/**
 * A journal as a killed process leaves it: written by a journal of this process, then renamed to
 * the dead instance and to a pid that no longer runs, or to this very pid (a restarted container's
 * server is PID 1 again, like the one it replaces).
 */
function journalOfDeadProcess(
  instanceId: string,
  write: (journal: SettlementJournal) => void,
  samePid = false,
  pidOverride?: number,
): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'maas-journal-'));
  dirs.push(dir);
  const writer = newId('inst');
  write(new SettlementJournal(dir, writer));
  const pid = pidOverride ?? (samePid ? process.pid : spawnSync(process.execPath, ['-e', '0']).pid);
  // The same pid in a restarted container belongs to a process that started earlier.
  const started = Math.round(Date.now() / 1000 - process.uptime()) - (samePid ? 600 : 0);
  for (const name of readdirSync(dir)) {
    renameSync(path.join(dir, name), path.join(dir, name.replace(/^inst_[a-z0-9]+\.\d+-\d+\./, `${instanceId}.${pid}-${started}.`)));
  }
  return dir;
}

describe('holds of an instance that stopped beating', () => {
  it('are released by the sweep, and those of a live instance are not', async () => {
    const user = await signUp(world.api);
    const dead = await deadInstance(DEAD_AFTER_MS + 5_000);
    const alive = await deadInstance(0);
    const deadLease = await openLease(db, {
      userId: user.id,
      apiKeyId: null,
      desiredNano: UNIT,
      minimumNano: 1n,
      share: 4n,
      instanceId: dead,
    });
    const liveLease = await openLease(db, {
      userId: user.id,
      apiKeyId: null,
      desiredNano: UNIT,
      minimumNano: 1n,
      share: 4n,
      instanceId: alive,
    });
    const deadReservation = await reserveFunds(db, { userId: user.id, amountNano: UNIT / 2n, modelId: 'model_test', instanceId: dead });
    expect(deadLease && liveLease && deadReservation).toBeTruthy();
    // Made before the dead instance's last beat, as they would have been.
    await sql`UPDATE wallet_leases SET created_at = now() - interval '1 minute' WHERE user_id = ${user.id}`.execute(db);
    await sql`UPDATE model_reservations SET created_at = now() - interval '1 minute' WHERE user_id = ${user.id}`.execute(db);

    // The server's own sweep (every few seconds) may have been first: what matters is the state.
    await releaseDeadInstanceHolds(db, DEAD_AFTER_MS);

    const books = await readBooks(db, user.id);
    expect(books.heldNano).toBe(UNIT);
    expect(books.balanceNano).toBe(10n * UNIT);
    expect(books.reservations).toEqual({ total: 1, held: 0, settled: 1 });
    expect(books.leases.open).toBe(1);
    const instances = await db.selectFrom('billing_instances').select('id').where('id', 'in', [dead, alive]).execute();
    expect(instances.map((i) => i.id)).toEqual([alive]);
    await sql`UPDATE wallet_leases SET status = 'closed' WHERE id = ${liveLease!.leaseId}`.execute(db);
  });
});

describe('the settlement journal of a killed process', () => {
  it('is booked against its lease when the process starts again before the lease was released', async () => {
    const user = await signUp(world.api);
    const instance = await deadInstance(0);
    const lease = await openLease(db, {
      userId: user.id,
      apiKeyId: null,
      desiredNano: UNIT,
      minimumNano: 1n,
      share: 4n,
      instanceId: instance,
    });
    const calls = [callRecord(1_000n), callRecord(2_000n), callRecord(3_000n)];
    const dir = journalOfDeadProcess(instance, (journal) => {
      for (const call of calls) journal.append({ kind: 'lease', leaseId: lease!.leaseId, userId: user.id, apiKeyId: null, call });
    });

    expect(await recoverJournals(db, dir, () => {})).toEqual({ instances: 1, calls: 3 });
    expect(readdirSync(dir)).toEqual([]);

    const books = await readBooks(db, user.id);
    expect(brokenInvariants(books)).toEqual({ money: [], drained: [] });
    expect(books.usageRecords.byStatus).toEqual({ success: 3 });
    expect(books.balanceNano).toBe(10n * UNIT - 6_000n);
    expect(books.leases).toMatchObject({ open: 0, chargedNano: 6_000n, calls: 3 });
    // A second start finds nothing left; booking the same calls again would change nothing either.
    expect(await recoverJournals(db, dir, () => {})).toEqual({ instances: 0, calls: 0 });
  });

  it('is charged from the wallet when its lease and reservation were released meanwhile, and a replay charges nothing twice', async () => {
    const user = await signUp(world.api);
    const instance = await deadInstance(DEAD_AFTER_MS + 5_000);
    const lease = await openLease(db, {
      userId: user.id,
      apiKeyId: null,
      desiredNano: UNIT,
      minimumNano: 1n,
      share: 4n,
      instanceId: instance,
    });
    const reservation = await reserveFunds(db, { userId: user.id, amountNano: UNIT / 10n, modelId: 'model_test', instanceId: instance });
    const calls = [callRecord(4_000n), callRecord(5_000n)];
    const usage = { userId: user.id, modelId: 'model_test', inputTokens: 7, outputTokens: 9, latencyMs: 5, status: 'success' as const };
    const write = (journal: SettlementJournal) => {
      for (const call of calls) journal.append({ kind: 'lease', leaseId: lease!.leaseId, userId: user.id, apiKeyId: null, call });
      journal.append({ kind: 'reservation', reservationId: reservation!.reservationId, costNano: 7_000n, usage });
    };
    await sql`UPDATE wallet_leases SET created_at = now() - interval '1 minute' WHERE user_id = ${user.id}`.execute(db);
    await sql`UPDATE model_reservations SET created_at = now() - interval '1 minute' WHERE user_id = ${user.id}`.execute(db);
    await releaseDeadInstanceHolds(db, DEAD_AFTER_MS);
    expect((await readBooks(db, user.id)).heldNano).toBe(0n);

    expect(await recoverJournals(db, journalOfDeadProcess(instance, write), () => {})).toEqual({ instances: 1, calls: 3 });
    // The same journal found again (a crash during the first replay), under this process's own pid
    // this time: it is still another instance's, and nothing is charged twice.
    expect(await recoverJournals(db, journalOfDeadProcess(instance, write, true), () => {})).toEqual({ instances: 1, calls: 3 });

    const books = await readBooks(db, user.id);
    expect(brokenInvariants(books)).toEqual({ money: [], drained: [] });
    expect(books.usageRecords.byStatus).toEqual({ success: 3 });
    expect(books.usageCharges.count).toBe(3);
    expect(books.balanceNano).toBe(10n * UNIT - 16_000n);
    const uncollected = await sql<{ sum: bigint }>`
      SELECT coalesce(sum(uncollected_nano), 0)::bigint AS sum FROM usage_records WHERE user_id = ${user.id}`.execute(db);
    expect(uncollected.rows[0]?.sum).toBe(0n);
  });

  it('is left alone while its process runs and its instance beats (another server on the same DATA_DIR)', async () => {
    const user = await signUp(world.api);
    const instance = await deadInstance(0);
    const lease = await openLease(db, {
      userId: user.id,
      apiKeyId: null,
      desiredNano: UNIT,
      minimumNano: 1n,
      share: 4n,
      instanceId: instance,
    });
    const write = (journal: SettlementJournal) => {
      journal.append({ kind: 'lease', leaseId: lease!.leaseId, userId: user.id, apiKeyId: null, call: callRecord(1_000n) });
    };
    const dir = journalOfDeadProcess(instance, write, false, process.ppid);
    expect(await recoverJournals(db, dir, () => {})).toEqual({ instances: 0, calls: 0 });
    expect(readdirSync(dir)).toHaveLength(1);
    expect((await readBooks(db, user.id)).leases.open).toBe(1);
    await sql`UPDATE wallet_leases SET status = 'closed' WHERE id = ${lease!.leaseId}`.execute(db);
  });
});
