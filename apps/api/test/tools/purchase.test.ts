import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiClient,
  apiClient,
  balanceNano,
  ledgerOf,
  nano,
  ordersOf,
  publishTool,
  signUp,
  signUpAs,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../kit/index.js';

let server: TestServer;
let api: ApiClient;
let author: TestUser;

const SIGNUP_CREDIT = nano('100');

beforeAll(async () => {
  server = await startTestServer({ MAAS_SIGNUP_CREDIT: '100', MAAS_PLATFORM_FEE_PERCENT: '10' });
  api = apiClient(server.url);
  author = await signUpAs(server, api, 'developer', 'seller');
});
afterAll(() => server?.close());

const buy = (toolId: string, user: TestUser, body: Record<string, unknown> = { payment_method: 'balance' }, key?: string) =>
  api.post(`/api/v1/tools/${toolId}/purchase`, body, user.token, key ? { 'idempotency-key': key } : {});

async function licences(toolId: string) {
  return server.server.platform.db.selectFrom('tool_licences').selectAll().where('tool_id', '=', toolId).execute();
}

async function downloads(toolId: string) {
  return (await api.get(`/api/v1/tools/${toolId}`)).body.downloads as number;
}

describe('buying with the wallet balance', () => {
  it('answers 201 with the order, debits the buyer and credits the author price minus the fee, in the ledger', async () => {
    const tool = await publishTool(api, author, { price: 9.99 });
    const buyer = await signUp(api, 'buyer');
    const authorBefore = await balanceNano(server, author.id);

    const res = await buy(tool.id, buyer, { payment_method: 'balance', billing_address: { country: 'CN', city: 'Beijing' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^order_/),
      tool_id: tool.id,
      amount: 9.99,
      currency: expect.any(String),
      status: 'completed',
      payment_method: 'balance',
      created_at: expect.any(String),
    });

    expect(await balanceNano(server, buyer.id)).toBe(SIGNUP_CREDIT - nano('9.99'));
    // 10 % of 9.99 is 0.999: the author receives 8.991.
    expect((await balanceNano(server, author.id)) - authorBefore).toBe(nano('8.991'));
    const buyerLedger = (await ledgerOf(server, buyer.id)).filter((e) => e.kind === 'tool_purchase');
    expect(buyerLedger).toHaveLength(1);
    expect(buyerLedger[0]).toMatchObject({ amount_nano: -nano('9.99'), reference_id: res.body.id });
    const sale = (await ledgerOf(server, author.id)).filter((e) => e.reference_id === res.body.id);
    expect(sale).toHaveLength(1);
    expect(sale[0]).toMatchObject({ kind: 'tool_sale', amount_nano: nano('8.991') });

    const detail = await api.get(`/api/v1/tools/${tool.id}`, buyer.token);
    expect(detail.body).toMatchObject({ owned: true, downloads: 1 });
    expect((await api.get(`/api/v1/tools/${tool.id}`, author.token)).body.owned).toBe(false);
  });

  it('lists my orders and my tools, and pages them', async () => {
    const buyer = await signUp(api, 'lister');
    const bought: string[] = [];
    for (const price of [1, 0, 2]) {
      const tool = await publishTool(api, author, { price });
      expect((await buy(tool.id, buyer)).status).toBe(201);
      bought.push(tool.id);
    }
    const orders = await api.get('/api/v1/tools/purchases?limit=2', buyer.token);
    expect(orders.status).toBe(200);
    expect(orders.body.pagination).toEqual({ page: 1, limit: 2, total: 3, pages: 2 });
    expect(orders.body.data.map((o: { tool_id: string }) => o.tool_id)).toEqual([bought[2], bought[1]]);
    const owned = await api.get('/api/v1/tools/owned?page=2&limit=2', buyer.token);
    expect(owned.body.pagination.total).toBe(3);
    expect(owned.body.data).toHaveLength(1);
    expect(owned.body.data[0]).toMatchObject({ id: bought[0], order_id: expect.stringMatching(/^order_/), author: { id: author.id } });
    expect((await api.get('/api/v1/tools/owned?limit=101', buyer.token)).status).toBe(400);
  });

  it('refuses a second purchase of an owned tool with 409 and charges nothing', async () => {
    const tool = await publishTool(api, author, { price: 3 });
    const buyer = await signUp(api, 'twice');
    expect((await buy(tool.id, buyer)).status).toBe(201);
    const again = await buy(tool.id, buyer);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('CONFLICT');
    expect(await balanceNano(server, buyer.id)).toBe(SIGNUP_CREDIT - nano('3'));
    expect(await ordersOf(server, buyer.id)).toHaveLength(1);
  });

  it('answers 402 when the balance is too small, and writes nothing', async () => {
    const tool = await publishTool(api, author, { price: 150 });
    const buyer = await signUp(api, 'poor');
    const authorBefore = await balanceNano(server, author.id);
    const res = await buy(tool.id, buyer);
    expect(res.status).toBe(402);
    expect(res.body.error.code).toBe('PAYMENT_REQUIRED');
    expect(await balanceNano(server, buyer.id)).toBe(SIGNUP_CREDIT);
    expect(await balanceNano(server, author.id)).toBe(authorBefore);
    expect(await ordersOf(server, buyer.id)).toHaveLength(0);
    expect((await ledgerOf(server, buyer.id)).map((e) => e.kind)).toEqual(['signup_credit']);
    expect(await licences(tool.id)).toHaveLength(0);
    expect(await downloads(tool.id)).toBe(0);
  });

  it('never lets parallel purchases of different tools take the wallet below zero', async () => {
    const buyer = await signUp(api, 'spender');
    const tools = await Promise.all([1, 2, 3, 4].map(() => publishTool(api, author, { price: 40 })));
    const results = await Promise.all(tools.map((tool) => buy(tool.id, buyer)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 201, 402, 402]);
    expect(await balanceNano(server, buyer.id)).toBe(nano('20'));
    expect(await ordersOf(server, buyer.id)).toHaveLength(2);
  });

  it('refuses to sell a tool to its author (409) and a draft to anyone (404); unlisted tools can be bought', async () => {
    const own = await publishTool(api, author, { price: 1 });
    expect((await buy(own.id, author)).status).toBe(409);
    const buyer = await signUp(api, 'drafty');
    const draft = await publishTool(api, author, { price: 1, status: 'draft' });
    expect((await buy(draft.id, buyer)).status).toBe(404);
    const unlisted = await publishTool(api, author, { price: 1, status: 'unlisted' });
    expect((await buy(unlisted.id, buyer)).status).toBe(201);
    expect((await buy('tool_doesnotexist', buyer)).status).toBe(404);
    expect((await api.post(`/api/v1/tools/${unlisted.id}/purchase`, { payment_method: 'balance' })).status).toBe(401);
  });

  it('validates the body: unknown payment methods and fields are a 400', async () => {
    const tool = await publishTool(api, author, { price: 1 });
    const buyer = await signUp(api, 'badbody');
    for (const body of [
      {},
      { payment_method: 'cash' },
      { payment_method: 'balance', billing_address: { city: 'x' } },
      { payment_method: 'balance', coupon: 'x' },
    ]) {
      expect((await buy(tool.id, buyer, body)).status, JSON.stringify(body)).toBe(400);
    }
    expect(await ordersOf(server, buyer.id)).toHaveLength(0);
  });
});

describe('free tools', () => {
  it('are acquired the same way: a 0-amount order, a licence, a download and no money moved', async () => {
    const tool = await publishTool(api, author, { price: 0 });
    const buyer = await signUp(api, 'free');
    const authorBefore = await balanceNano(server, author.id);
    const res = await buy(tool.id, buyer);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ amount: 0, status: 'completed' });
    expect(await balanceNano(server, buyer.id)).toBe(SIGNUP_CREDIT);
    expect(await balanceNano(server, author.id)).toBe(authorBefore);
    expect((await ledgerOf(server, buyer.id)).map((e) => e.kind)).toEqual(['signup_credit']);
    expect(await downloads(tool.id)).toBe(1);
    expect((await buy(tool.id, buyer)).status).toBe(409);
  });

  it('count each acquisition once in downloads', async () => {
    const tool = await publishTool(api, author, { price: 0 });
    const buyers = await Promise.all([1, 2, 3].map(() => signUp(api, 'dl')));
    await Promise.all(buyers.map((b) => buy(tool.id, b)));
    await Promise.all(buyers.map((b) => buy(tool.id, b)));
    expect(await downloads(tool.id)).toBe(3);
  });
});

describe('concurrency and idempotency', () => {
  it('50 parallel purchases with the same Idempotency-Key make one order and one debit, all answered 201 with it', async () => {
    const tool = await publishTool(api, author, { price: 7 });
    const buyer = await signUp(api, 'idem');
    const authorBefore = await balanceNano(server, author.id);
    const results = await Promise.all(Array.from({ length: 50 }, () => buy(tool.id, buyer, { payment_method: 'balance' }, 'key-same-50')));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(201));
    const ids = new Set(results.map((r) => r.body.id));
    expect(ids.size).toBe(1);

    const orders = await ordersOf(server, buyer.id);
    expect(orders).toHaveLength(1);
    expect(orders[0]?.id).toBe([...ids][0]);
    expect((await ledgerOf(server, buyer.id)).filter((e) => e.kind === 'tool_purchase')).toHaveLength(1);
    expect(await balanceNano(server, buyer.id)).toBe(SIGNUP_CREDIT - nano('7'));
    expect((await balanceNano(server, author.id)) - authorBefore).toBe(nano('6.3'));
    expect(await licences(tool.id)).toHaveLength(1);
    expect(await downloads(tool.id)).toBe(1);

    // A later retry with the key replays the same order.
    const retry = await buy(tool.id, buyer, { payment_method: 'balance' }, 'key-same-50');
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(results[0]?.body);
  });

  it('50 parallel purchases without a key make one order and one debit; the rest are 409, never 500', async () => {
    const tool = await publishTool(api, author, { price: 2.5 });
    const buyer = await signUp(api, 'race');
    const results = await Promise.all(Array.from({ length: 50 }, () => buy(tool.id, buyer)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    expect(await ordersOf(server, buyer.id)).toHaveLength(1);
    expect((await ledgerOf(server, buyer.id)).filter((e) => e.kind === 'tool_purchase')).toHaveLength(1);
    expect(await balanceNano(server, buyer.id)).toBe(SIGNUP_CREDIT - nano('2.5'));
    expect(await downloads(tool.id)).toBe(1);
  });

  it('50 parallel purchases with distinct keys still buy once', async () => {
    const tool = await publishTool(api, author, { price: 1.25 });
    const buyer = await signUp(api, 'keys');
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => buy(tool.id, buyer, { payment_method: 'balance' }, `distinct-${i}`)),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(49);
    expect((await ledgerOf(server, buyer.id)).filter((e) => e.kind === 'tool_purchase')).toHaveLength(1);
  });

  it('refuses a key reused for another tool with 409 and buys nothing', async () => {
    const [first, second] = await Promise.all([publishTool(api, author, { price: 1 }), publishTool(api, author, { price: 1 })]);
    const buyer = await signUp(api, 'reuse');
    expect((await buy(first.id, buyer, { payment_method: 'balance' }, 'reused-key')).status).toBe(201);
    const res = await buy(second.id, buyer, { payment_method: 'balance' }, 'reused-key');
    expect(res.status).toBe(409);
    expect(await licences(second.id)).toHaveLength(0);
    expect(await ordersOf(server, buyer.id)).toHaveLength(1);
  });

  it('rejects a malformed Idempotency-Key with 400', async () => {
    const tool = await publishTool(api, author, { price: 1 });
    const buyer = await signUp(api, 'badkey');
    expect((await buy(tool.id, buyer, { payment_method: 'balance' }, 'x'.repeat(256))).status).toBe(400);
    expect(await ordersOf(server, buyer.id)).toHaveLength(0);
  });

  it('keys are per user: two buyers may use the same key', async () => {
    const tool = await publishTool(api, author, { price: 1 });
    const [a, b] = await Promise.all([signUp(api, 'ka'), signUp(api, 'kb')]);
    const [ra, rb] = await Promise.all([
      buy(tool.id, a, { payment_method: 'balance' }, 'shared'),
      buy(tool.id, b, { payment_method: 'balance' }, 'shared'),
    ]);
    expect([ra.status, rb.status]).toEqual([201, 201]);
    expect(ra.body.id).not.toBe(rb.body.id);
  });
});

describe('card and wallet-app payments (sandbox)', () => {
  it('charges a credit card through the sandbox: 201, wallet untouched, author credited', async () => {
    const tool = await publishTool(api, author, { price: 20 });
    const buyer = await signUp(api, 'card');
    const authorBefore = await balanceNano(server, author.id);
    const res = await buy(tool.id, buyer, { payment_method: 'credit_card', billing_address: { country: 'CN', city: 'Beijing' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ amount: 20, status: 'completed', payment_method: 'credit_card' });
    expect(await balanceNano(server, buyer.id)).toBe(SIGNUP_CREDIT);
    expect((await balanceNano(server, author.id)) - authorBefore).toBe(nano('18'));
    const [order] = await ordersOf(server, buyer.id);
    expect(order?.payment_reference).toMatch(/^sandbox_/);
    expect(order?.billing_address).toEqual({ country: 'CN', city: 'Beijing' });
    expect((await api.get(`/api/v1/tools/${tool.id}`, buyer.token)).body.owned).toBe(true);
  });

  it('answers 402 on a declined payment, records the failed order, and lets the buyer retry', async () => {
    const tool = await publishTool(api, author, { price: 5 });
    const buyer = await signUp(api, 'declined');
    const declined = await buy(
      tool.id,
      buyer,
      { payment_method: 'alipay', billing_address: { country: 'CN', line1: 'sandbox-decline' } },
      'decl-1',
    );
    expect(declined.status).toBe(402);
    expect(declined.body.error.details.order_id).toMatch(/^order_/);
    expect((await api.get(`/api/v1/tools/${tool.id}`, buyer.token)).body.owned).toBe(false);
    // The same key replays the same failure.
    expect((await buy(tool.id, buyer, { payment_method: 'alipay', billing_address: { country: 'CN' } }, 'decl-1')).status).toBe(402);
    const retry = await buy(tool.id, buyer, { payment_method: 'wechat_pay' });
    expect(retry.status).toBe(201);
    const statuses = (await api.get('/api/v1/tools/purchases', buyer.token)).body.data.map((o: { status: string }) => o.status);
    expect(statuses).toEqual(['completed', 'failed']);
  });

  it('50 parallel card purchases with one key charge once and answer the same order', async () => {
    const tool = await publishTool(api, author, { price: 3 });
    const buyer = await signUp(api, 'cardidem');
    const authorBefore = await balanceNano(server, author.id);
    const results = await Promise.all(Array.from({ length: 50 }, () => buy(tool.id, buyer, { payment_method: 'credit_card' }, 'card-key')));
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(201));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(await ordersOf(server, buyer.id)).toHaveLength(1);
    expect((await balanceNano(server, author.id)) - authorBefore).toBe(nano('2.7'));
  });
});
