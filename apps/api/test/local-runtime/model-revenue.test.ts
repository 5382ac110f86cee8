// Issue 15 part 5, "who pays what": a developer serves a public model from their own GGUF file,
// priced by them; every other caller pays that price exactly, the owner is credited it less the
// platform fee (MAAS_PLATFORM_FEE_PERCENT, the marketplace's), booked in the statement that books
// the caller's charge. The owner's own calls cost only the platform floor and credit no one.
//
// Rounding, in integer nano-units: per call, fee = charged × 15 / 100 truncated, owner = charged −
// fee. The prices below are chosen so that the fee of most calls is not a whole number.
import {
  closeLease,
  collectLeaseExcess,
  type LeasedCallRecord,
  newId,
  openLease,
  reserveFunds,
  settleLeaseCalls,
  settleReservation,
} from '@maas/api/testing';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiClient,
  balanceNano,
  createFileModel,
  expectError,
  ledgerOf,
  setRole,
  settled,
  signUpAs,
  startTestServer,
  type TestServer,
  type TestUser,
  uploadModelFile,
  waitForDeployment,
} from '../kit/index.js';

const FEE_PERCENT = 15n;
const FLOOR_NANO = 100n;
const INPUT_NANO = 1_234n;
const OUTPUT_NANO = 3_457n;

let server: TestServer;
let api: ReturnType<typeof apiClient>;
let owner: TestUser;
let caller: TestUser;
let admin: TestUser;
let fileId: string;
let model: { id: string; name: string };
/** The owner's private model (the second and last model this file loads). */
let own: { id: string; name: string };

beforeAll(async () => {
  server = await startTestServer({
    MAAS_LOCAL_RUNTIME_MIN_PRICE: '0.0000001',
    MAAS_PLATFORM_FEE_PERCENT: String(FEE_PERCENT),
    // 20 calls at once wait in the model's queue rather than some being refused with 429.
    MAAS_LOCAL_RUNTIME_QUEUE: '64',
  });
  api = apiClient(server.url);
  [owner, caller, admin] = await Promise.all([
    signUpAs(server, api, 'developer'),
    signUpAs(server, api, 'user', 'caller'),
    signUpAs(server, api, 'admin'),
  ]);
  const file = await uploadModelFile(server.url, owner.token);
  expect(file.status).toBe(201);
  fileId = file.body.id;
  model = await createFileModel(api, owner.token, fileId, {
    visibility: 'public',
    pricing: { input_tokens: 0.000001234, output_tokens: 0.000003457 },
  });
  expect((await waitForDeployment(api, owner.token, model.id)).deployment.state).toBe('active');
}, 120_000);
afterAll(async () => {
  await server?.close();
});

function client(user: TestUser) {
  return new OpenAI({ apiKey: user.token, baseURL: `${server.url}/v1`, maxRetries: 0 });
}

function ask(user: TestUser, modelName: string, content: string, maxTokens = 6) {
  return client(user).chat.completions.create({
    model: modelName,
    messages: [{ role: 'user', content }],
    max_tokens: maxTokens,
    temperature: 0,
  });
}

function ownerShare(charged: bigint): bigint {
  return charged - (charged * FEE_PERCENT) / 100n;
}

async function usageOf(userId: string, modelId: string) {
  await settled(server);
  return server.server.platform.db
    .selectFrom('usage_records')
    .selectAll()
    .where('user_id', '=', userId)
    .where('model_id', '=', modelId)
    .orderBy('id')
    .execute();
}

async function revenueEntries(userId: string) {
  return (await ledgerOf(server, userId)).filter((e) => e.kind === 'model_revenue');
}

/** Balance = sum of the ledger, for each user named. */
async function expectLedgersBalance(...users: TestUser[]) {
  for (const user of users) {
    const sum = (await ledgerOf(server, user.id)).reduce((total, e) => total + e.amount_nano, 0n);
    expect(await balanceNano(server, user.id)).toBe(sum);
  }
}

describe("a public model served from its owner's file", () => {
  it("charges another caller the owner's price and credits the owner exactly the price less the fee", async () => {
    const [callerBefore, ownerBefore] = [await balanceNano(server, caller.id), await balanceNano(server, owner.id)];
    const completion = await ask(caller, model.name, 'hello world');
    const usage = completion.usage!;
    const charged = BigInt(usage.prompt_tokens) * INPUT_NANO + BigInt(usage.completion_tokens) * OUTPUT_NANO;
    const [row] = await usageOf(caller.id, model.id);
    expect(row!.cost_nano).toBe(charged);
    expect(callerBefore - (await balanceNano(server, caller.id))).toBe(charged);
    expect((await balanceNano(server, owner.id)) - ownerBefore).toBe(ownerShare(charged));
    // The platform keeps the fee and nothing else: what left the caller = the owner's credit + the fee.
    expect(charged - ownerShare(charged)).toBe((charged * FEE_PERCENT) / 100n);

    const [entry] = await revenueEntries(owner.id);
    expect(entry).toMatchObject({ amount_nano: ownerShare(charged), reference_id: model.id, reason: `model call ${row!.id}` });
    // The owner sees it among their wallet transactions, named as a model's revenue.
    const transactions = await api.get('/api/v1/wallet/transactions', owner.token);
    expect(transactions.status).toBe(200);
    expect(transactions.body.data[0]).toMatchObject({ kind: 'model_revenue', reference_id: model.id });
    // The caller's side is an ordinary model call.
    const callerTx = await api.get('/api/v1/wallet/transactions', caller.token);
    expect(callerTx.body.data[0]).toMatchObject({ kind: 'model_usage', reference_id: row!.id });
    await expectLedgersBalance(owner, caller);
  });

  it('stays exact over 20 calls at once: every charge, every credit, the fee kept by the platform', async () => {
    const [callerBefore, ownerBefore] = [await balanceNano(server, caller.id), await balanceNano(server, owner.id)];
    const seen = (await usageOf(caller.id, model.id)).length;
    const credited = (await revenueEntries(owner.id)).length;
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => ask(caller, model.name, `question ${i}`, 3)));
    expect(answers).toHaveLength(20);
    const rows = await usageOf(caller.id, model.id);
    const fresh = rows.slice(seen);
    expect(fresh).toHaveLength(20);
    let charged = 0n;
    let shares = 0n;
    for (const row of fresh) {
      expect(row.cost_nano).toBe(BigInt(row.input_tokens) * INPUT_NANO + BigInt(row.output_tokens) * OUTPUT_NANO);
      charged += row.cost_nano;
      shares += ownerShare(row.cost_nano);
    }
    expect(callerBefore - (await balanceNano(server, caller.id))).toBe(charged);
    expect((await balanceNano(server, owner.id)) - ownerBefore).toBe(shares);
    const entries = await revenueEntries(owner.id);
    expect(entries).toHaveLength(credited + 20);
    expect(new Set(entries.map((e) => e.reason)).size).toBe(entries.length);
    await expectLedgersBalance(owner, caller);
  }, 120_000);

  it('credits the owner in the same booking when the call is funded by its own reservation (no wallet lease fits)', async () => {
    // A wallet this small opens no lease: each call reserves its worst case in the database.
    const poor = await signUpAs(server, api, 'user', 'poor');
    const keep = 500_000n;
    const amount = Number((await balanceNano(server, poor.id)) - keep) / 1e9;
    const debit = await api.post(
      `/api/v1/admin/users/${poor.id}/wallet/debit`,
      { amount, reason: 'test: a nearly empty wallet' },
      admin.token,
    );
    expect(debit.status).toBe(201);
    const [poorBefore, ownerBefore] = [await balanceNano(server, poor.id), await balanceNano(server, owner.id)];
    expect(poorBefore).toBe(keep);
    await ask(poor, model.name, 'hi', 4);
    const rows = await usageOf(poor.id, model.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.reservation_id).toMatch(/^rsv_/);
    expect(rows[0]!.lease_id).toBeNull();
    const charged = rows[0]!.cost_nano;
    expect(charged).toBeGreaterThan(0n);
    expect(poorBefore - (await balanceNano(server, poor.id))).toBe(charged);
    expect((await balanceNano(server, owner.id)) - ownerBefore).toBe(ownerShare(charged));
    await expectLedgersBalance(owner, poor);
  });

  it("charges the owner's own calls the platform floor only, crediting no one", async () => {
    const before = await balanceNano(server, owner.id);
    const credited = (await revenueEntries(owner.id)).length;
    const completion = await ask(owner, model.name, 'my own model');
    const usage = completion.usage!;
    const floor = BigInt(usage.prompt_tokens + usage.completion_tokens) * FLOOR_NANO;
    const rows = await usageOf(owner.id, model.id);
    expect(rows.at(-1)!.cost_nano).toBe(floor);
    expect(before - (await balanceNano(server, owner.id))).toBe(floor);
    expect(await revenueEntries(owner.id)).toHaveLength(credited);
    await expectLedgersBalance(owner);
  });
});

describe("a private model served from its owner's file", () => {
  it('costs its owner only the platform floor per token, not their own price, with no self-credit', async () => {
    own = await createFileModel(api, owner.token, fileId, {
      visibility: 'private',
      pricing: { input_tokens: 0.5, output_tokens: 0.5 },
    });
    expect((await waitForDeployment(api, owner.token, own.id)).deployment.state).toBe('active');
    const before = await balanceNano(server, owner.id);
    const credited = (await revenueEntries(owner.id)).length;
    const completion = await ask(owner, own.name, 'hello');
    const usage = completion.usage!;
    const floor = BigInt(usage.prompt_tokens) * FLOOR_NANO + BigInt(usage.completion_tokens) * FLOOR_NANO;
    const [row] = await usageOf(owner.id, own.id);
    expect(row!.cost_nano).toBe(floor);
    expect(before - (await balanceNano(server, owner.id))).toBe(floor);
    expect(await revenueEntries(owner.id)).toHaveLength(credited);
    // Nobody else may call it.
    const other = await client(caller)
      .chat.completions.create({ model: own.name, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 })
      .catch((error: unknown) => error);
    expect(other).toMatchObject({ status: 404 });
    await expectLedgersBalance(owner);
  }, 60_000);

  it('may not be made public below the floor: 400 naming pricing and the floor', async () => {
    const free = await api.patch(`/api/v1/models/${own.id}`, { pricing: { input_tokens: 0, output_tokens: 0 } }, owner.token);
    expect(free.status).toBe(200);
    const refused = await api.patch(`/api/v1/models/${own.id}`, { visibility: 'public' }, owner.token);
    const error = expectError(refused, 400, 'INVALID_REQUEST');
    expect(error.details).toMatchObject({ field: 'pricing', min_price: { input_tokens: 0.0000001, output_tokens: 0.0000001 } });
    expect(error.message).toContain('0.0000001');
    const cheapPublic = await api.post(
      '/api/v1/models',
      {
        name: `cheap-${Date.now()}`,
        category: 'text',
        model_file: fileId,
        visibility: 'public',
        pricing: { input_tokens: 0.000001, output_tokens: 0.00000005 },
      },
      owner.token,
    );
    expect(expectError(cheapPublic, 400, 'INVALID_REQUEST').details).toMatchObject({ field: 'pricing' });
    const atFloor = await api.patch(
      `/api/v1/models/${own.id}`,
      { visibility: 'public', pricing: { input_tokens: 0.0000001, output_tokens: 0.0000001 } },
      owner.token,
    );
    expect(atFloor.status).toBe(200);
  });
});

describe('a model an admin serves from a file (the catalogue)', () => {
  it("credits no owner: the platform's own model", async () => {
    const shared = await server.server.platform.models.lookup(model.id);
    expect(shared && shared.model.revenueOwnerId).toBe(owner.id);
    // The same model, its owner made an admin (no third model load): nobody to credit.
    await setRole(server, owner.id, 'admin');
    try {
      server.server.platform.catalog.markChanged();
      const catalogue = await server.server.platform.models.lookup(model.id);
      expect(catalogue && catalogue.model.revenueOwnerId).toBeNull();
      const ownerBefore = await balanceNano(server, owner.id);
      const credited = (await revenueEntries(owner.id)).length;
      const completion = await ask(caller, model.name, 'catalogue', 2);
      const [row] = (await usageOf(caller.id, model.id)).slice(-1);
      expect(row!.cost_nano).toBe(
        BigInt(completion.usage!.prompt_tokens) * INPUT_NANO + BigInt(completion.usage!.completion_tokens) * OUTPUT_NANO,
      );
      expect(await balanceNano(server, owner.id)).toBe(ownerBefore);
      expect(await revenueEntries(owner.id)).toHaveLength(credited);
    } finally {
      await setRole(server, owner.id, 'developer');
      server.server.platform.catalog.markChanged();
    }
  });
});

describe("the owner's credit is part of the caller's booking", () => {
  const revenue = () => ({ ownerId: owner.id, feePercent: Number(FEE_PERCENT) });
  const owed = (cost: bigint) => ({ cost, share: ownerShare(cost) });

  it('is booked once when a lease batch is booked again (a lost reply, a journal replayed after a crash)', async () => {
    const db = server.server.platform.db;
    const payer = await signUpAs(server, api, 'user', 'replay');
    const lease = await openLease(db, { userId: payer.id, apiKeyId: null, desiredNano: 1_000_000n, minimumNano: 1n, share: 1n });
    const ref = { leaseId: lease!.leaseId, userId: payer.id, apiKeyId: null };
    const record = (costNano: bigint, extra: Partial<LeasedCallRecord> = {}): LeasedCallRecord => {
      const random = newId('rsv').slice(4);
      return {
        callId: `rsv_${random}`,
        usageId: `usage_${random}`,
        ledgerEntryId: `txn_${random}`,
        appId: null,
        modelId: model.id,
        providerId: null,
        conversationId: null,
        inputTokens: 10,
        outputTokens: 20,
        costNano,
        latencyMs: 1,
        status: 'success',
        error: null,
        finishedAt: new Date(),
        revenue: revenue(),
        ...extra,
      };
    };
    const [a, b] = [owed(12_345n), owed(999n)];
    // One call under-estimated: 500 more than the lease could cover, collected from the wallet after.
    const batch = [record(a.cost), record(b.cost, { uncollectedNano: 500n }), record(0n, { status: 'failed', error: 'x' })];
    const ownerBefore = await balanceNano(server, owner.id);
    const entriesBefore = (await revenueEntries(owner.id)).length;
    for (let i = 0; i < 2; i++) {
      await settleLeaseCalls(db, ref, batch);
      await collectLeaseExcess(db, { userId: payer.id, apiKeyId: null, usageId: batch[1]!.usageId, modelId: model.id, revenue: revenue() });
    }
    const excess = ownerShare(500n);
    expect((await balanceNano(server, owner.id)) - ownerBefore).toBe(a.share + b.share + excess);
    const entries = (await revenueEntries(owner.id)).slice(entriesBefore);
    expect(entries.map((e) => e.amount_nano).sort()).toEqual([a.share, b.share, excess].sort());
    await closeLease(db, lease!.leaseId);
    await expectLedgersBalance(owner, payer);
  });

  it('neither deadlocks nor loses a nano when two owners pay for each other’s models at once', async () => {
    const db = server.server.platform.db;
    const [x, y] = await Promise.all([signUpAs(server, api, 'developer', 'cross'), signUpAs(server, api, 'developer', 'cross')]);
    const [xBefore, yBefore] = [await balanceNano(server, x.id), await balanceNano(server, y.id)];
    const pays = (payer: TestUser, to: TestUser, cost: bigint) => ({ payer, to, cost });
    const plan = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? pays(x, y, 1_000n + BigInt(i)) : pays(y, x, 2_000n + BigInt(i))));
    const leases = new Map<string, string>();
    for (const user of [x, y]) {
      const lease = await openLease(db, { userId: user.id, apiKeyId: null, desiredNano: 10_000_000n, minimumNano: 1n, share: 1n });
      leases.set(user.id, lease!.leaseId);
    }
    await Promise.all(
      plan.map(async ({ payer, to, cost }, i) => {
        const credit = { ownerId: to.id, feePercent: Number(FEE_PERCENT) };
        if (i % 4 < 2) {
          const reservation = await reserveFunds(db, { userId: payer.id, amountNano: cost, modelId: model.id });
          await settleReservation(db, {
            reservationId: reservation!.reservationId,
            actualCostNano: cost,
            usage: {
              userId: payer.id,
              modelId: model.id,
              inputTokens: 1,
              outputTokens: 1,
              latencyMs: 1,
              status: 'success',
              revenue: credit,
            },
          });
          return;
        }
        const random = newId('rsv').slice(4);
        const ref = { leaseId: leases.get(payer.id)!, userId: payer.id, apiKeyId: null };
        await settleLeaseCalls(db, ref, [
          {
            callId: `rsv_${random}`,
            usageId: `usage_${random}`,
            ledgerEntryId: `txn_${random}`,
            appId: null,
            modelId: model.id,
            providerId: null,
            conversationId: null,
            inputTokens: 1,
            outputTokens: 1,
            costNano: cost,
            latencyMs: 1,
            status: 'success',
            error: null,
            finishedAt: new Date(),
            revenue: credit,
          },
        ]);
      }),
    );
    for (const leaseId of leases.values()) await closeLease(db, leaseId);
    const net = (user: TestUser) =>
      plan.reduce((sum, p) => sum + (p.to === user ? ownerShare(p.cost) : 0n) - (p.payer === user ? p.cost : 0n), 0n);
    expect((await balanceNano(server, x.id)) - xBefore).toBe(net(x));
    expect((await balanceNano(server, y.id)) - yBefore).toBe(net(y));
    await expectLedgersBalance(x, y);
  });

  it('is booked once when a reservation is settled again', async () => {
    const db = server.server.platform.db;
    const payer = await signUpAs(server, api, 'user', 'resettle');
    const reservation = await reserveFunds(db, { userId: payer.id, amountNano: 50_000n, modelId: model.id });
    const { cost, share } = owed(33_333n);
    const ownerBefore = await balanceNano(server, owner.id);
    const settle = () =>
      settleReservation(db, {
        reservationId: reservation!.reservationId,
        actualCostNano: cost,
        usage: {
          userId: payer.id,
          modelId: model.id,
          inputTokens: 1,
          outputTokens: 1,
          latencyMs: 1,
          status: 'success',
          revenue: revenue(),
        },
      });
    expect(await settle()).toMatchObject({ chargedNano: cost, alreadySettled: false });
    expect(await settle()).toMatchObject({ alreadySettled: true });
    expect((await balanceNano(server, owner.id)) - ownerBefore).toBe(share);
    // 33 333 × 15 % = 4 999.95: the platform keeps 4 999, the owner gets 28 334.
    expect(share).toBe(28_334n);
    await expectLedgersBalance(owner, payer);
  });
});
