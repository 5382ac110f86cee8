import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiClient,
  apiClient,
  ordersOf,
  publishTool,
  signUp,
  signUpAs,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../kit/index.js';

// The sandbox is off here, as in production without MAAS_PAYMENT_SANDBOX=1.
let server: TestServer;
let api: ApiClient;
let author: TestUser;

beforeAll(async () => {
  server = await startTestServer({ MAAS_PAYMENT_SANDBOX: '0', MAAS_PLATFORM_FEE_PERCENT: '25' });
  api = apiClient(server.url);
  author = await signUpAs(server, api, 'developer', 'cfg');
});
afterAll(() => server?.close());

describe('payment configuration', () => {
  it('answers a clear 400 for a payment method with no provider, and writes nothing', async () => {
    const tool = await publishTool(api, author, { price: 2 });
    const buyer = await signUp(api, 'nocard');
    for (const method of ['credit_card', 'alipay', 'wechat_pay']) {
      const res = await api.post(`/api/v1/tools/${tool.id}/purchase`, { payment_method: method }, buyer.token);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('INVALID_REQUEST');
      expect(res.body.error.details.field).toBe('payment_method');
      expect(res.body.error.message).toContain(method);
    }
    expect(await ordersOf(server, buyer.id)).toHaveLength(0);
  });

  it('still sells for the wallet balance, applying the configured fee', async () => {
    const tool = await publishTool(api, author, { price: 2 });
    const buyer = await signUp(api, 'wallet');
    const res = await api.post(`/api/v1/tools/${tool.id}/purchase`, { payment_method: 'balance' }, buyer.token);
    expect(res.status).toBe(201);
    const sale = await server.server.platform.db
      .selectFrom('ledger_entries')
      .select(['kind', 'amount_nano'])
      .where('reference_id', '=', res.body.id)
      .where('user_id', '=', author.id)
      .executeTakeFirstOrThrow();
    expect(sale).toEqual({ kind: 'tool_sale', amount_nano: 1_500_000_000n });
  });

  it('gives free tools whatever the method, since nothing is charged', async () => {
    const tool = await publishTool(api, author, { price: 0 });
    const buyer = await signUp(api, 'freecard');
    const res = await api.post(`/api/v1/tools/${tool.id}/purchase`, { payment_method: 'credit_card' }, buyer.token);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ amount: 0, payment_method: 'credit_card', status: 'completed' });
  });
});
