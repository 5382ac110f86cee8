import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiClient,
  type ApiClient,
  balanceNano,
  expectEnvelope,
  ledgerOf,
  nano,
  signUp,
  startPeerServer,
  startTestServer,
  type TestServer,
} from '../kit/index.js';
import { type MockCheckoutSession, type MockStripe, startMockStripe } from '../kit/mock-stripe.js';

const WEBHOOK_SECRET = `whsec_${randomBytes(16).toString('hex')}`;
/** Only its webhook helpers are used, to sign payloads as Stripe does; it never calls the network. */
const signer = new Stripe('sk_test_signer_only');

let stripe: MockStripe;
let server: TestServer;
let api: ApiClient;

beforeAll(async () => {
  stripe = await startMockStripe();
  server = await startTestServer({
    MAAS_STRIPE_SECRET_KEY: stripe.secretKey,
    MAAS_STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    MAAS_STRIPE_API_BASE: stripe.url,
  });
  api = apiClient(server.url);
});
afterAll(async () => {
  await server?.close();
  await stripe?.close();
});

function topUp(token: string, body: unknown, idempotencyKey?: string) {
  return api.post('/api/v1/wallet/top-ups', body, token, idempotencyKey ? { 'idempotency-key': idempotencyKey } : {});
}

/** Delivers an event the way Stripe does: the raw JSON and a `Stripe-Signature` over it. */
function deliver(type: string, object: unknown, options: { id?: string; secret?: string; signature?: string | null } = {}) {
  const id = options.id ?? `evt_${randomBytes(12).toString('hex')}`;
  const payload = JSON.stringify({
    id,
    object: 'event',
    api_version: '2025-01-27.acacia',
    created: Math.floor(Date.now() / 1000),
    type,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
  });
  const signature =
    options.signature === undefined
      ? signer.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? WEBHOOK_SECRET })
      : options.signature;
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (signature !== null) headers['stripe-signature'] = signature;
  return { id, response: api.call('POST', '/api/v1/webhooks/stripe', { body: payload, headers }) };
}

function paid(session: MockCheckoutSession, changes: Partial<MockCheckoutSession> = {}) {
  return { ...session, payment_status: 'paid', status: 'complete', ...changes };
}

async function startStripeTopUp(token: string, amount: number) {
  const created = await topUp(token, { amount, provider: 'stripe' });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const session = stripe.sessions.get(created.body.reference);
  if (!session) throw new Error('the mock has no such session');
  return { topUp: created.body, session };
}

describe('POST /api/v1/wallet/top-ups (sandbox)', () => {
  it('credits the exact amount at once and shows it in the ledger with its reference', async () => {
    const user = await signUp(api);
    const res = await topUp(user.token, { amount: 12.345678901, provider: 'sandbox' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ amount: 12.345678901, currency: 'CNY', provider: 'sandbox', status: 'completed', checkout_url: null });
    expect(res.body.id).toMatch(/^topup_/);
    expect(res.body.reference).toBe(`sandbox_${res.body.id}`);
    expect(res.body.completed_at).toBeTruthy();
    expect(await balanceNano(server, user.id)).toBe(nano('22.345678901'));

    const ledger = await api.get('/api/v1/wallet/transactions', user.token);
    expect(ledger.body.data[0]).toMatchObject({
      kind: 'top_up',
      amount: 12.345678901,
      balance_after: 22.345678901,
      reference_id: res.body.id,
    });
    const own = await api.get(`/api/v1/wallet/top-ups/${res.body.id}`, user.token);
    expect(own.body).toEqual(res.body);
  });

  it('answers a retried Idempotency-Key with the same top-up and credits once, even when the retries race', async () => {
    const user = await signUp(api);
    const key = `retry-${randomBytes(4).toString('hex')}`;
    const answers = await Promise.all(Array.from({ length: 6 }, () => topUp(user.token, { amount: '3.5', provider: 'sandbox' }, key)));
    expect(answers.map((a) => a.status)).toEqual(Array(6).fill(201));
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    const again = await topUp(user.token, { amount: 3.5, provider: 'sandbox' }, key);
    expect(again.body.id).toBe(answers[0]?.body.id);
    expect(await balanceNano(server, user.id)).toBe(nano('13.5'));
    expect((await ledgerOf(server, user.id)).filter((entry) => entry.kind === 'top_up')).toHaveLength(1);

    expectEnvelope(await topUp(user.token, { amount: 4, provider: 'sandbox' }, key), 409, 'CONFLICT');
    expectEnvelope(await topUp(user.token, { amount: 4, provider: 'sandbox' }, 'bad key with spaces'), 400, 'INVALID_REQUEST');
  });

  it('refuses bad amounts and unknown providers with 400', async () => {
    const user = await signUp(api);
    for (const amount of [0, -1, 1.0000000001, 100000.01, 'ten', null]) {
      expectEnvelope(await topUp(user.token, { amount, provider: 'sandbox' }), 400, 'INVALID_REQUEST');
    }
    expectEnvelope(await topUp(user.token, { amount: 1, provider: 'paypal' }), 400, 'INVALID_REQUEST');
    expectEnvelope(await topUp(user.token, { amount: 1, provider: 'sandbox', extra: true }), 400, 'INVALID_REQUEST');
    expect(await balanceNano(server, user.id)).toBe(nano('10'));
  });

  it('is refused with 403 in production unless MAAS_PAYMENT_SANDBOX turns it on', async () => {
    const production = { NODE_ENV: 'production', MAAS_ENCRYPTION_KEY: 'x'.repeat(40), MAAS_INITIAL_ADMIN: '0', MAAS_SERVE_DASHBOARD: '0' };
    const strict = await startPeerServer(server, production);
    const allowed = await startPeerServer(server, { ...production, MAAS_PAYMENT_SANDBOX: '1' });
    try {
      const user = await signUp(api);
      const refused = await apiClient(strict.url).post('/api/v1/wallet/top-ups', { amount: 5, provider: 'sandbox' }, user.token);
      expect(expectEnvelope(refused, 403, 'FORBIDDEN').message).toMatch(/sandbox/i);
      expect(await balanceNano(server, user.id)).toBe(nano('10'));
      const accepted = await apiClient(allowed.url).post('/api/v1/wallet/top-ups', { amount: 5, provider: 'sandbox' }, user.token);
      expect(accepted.status).toBe(201);
      expect(await balanceNano(server, user.id)).toBe(nano('15'));
    } finally {
      await strict.close();
      await allowed.close();
    }
  });
});

describe('GET /api/v1/wallet/top-ups', () => {
  it("lists the caller's own top-ups, newest first, and hides everyone else's", async () => {
    const user = await signUp(api);
    const other = await signUp(api);
    const first = await topUp(user.token, { amount: 1, provider: 'sandbox' });
    const second = await topUp(user.token, { amount: 2, provider: 'sandbox' });
    const theirs = await topUp(other.token, { amount: 3, provider: 'sandbox' });
    const list = await api.get('/api/v1/wallet/top-ups?limit=1', user.token);
    expect(list.status).toBe(200);
    expect(list.body.pagination).toEqual({ page: 1, limit: 1, total: 2, pages: 2 });
    expect(list.body.data.map((t: { id: string }) => t.id)).toEqual([second.body.id]);
    const page2 = await api.get('/api/v1/wallet/top-ups?limit=1&page=2', user.token);
    expect(page2.body.data.map((t: { id: string }) => t.id)).toEqual([first.body.id]);

    expectEnvelope(await api.get(`/api/v1/wallet/top-ups/${theirs.body.id}`, user.token), 404, 'NOT_FOUND');
    expectEnvelope(await api.get('/api/v1/wallet/top-ups/topup_doesnotexist', user.token), 404, 'NOT_FOUND');
    expectEnvelope(await api.get('/api/v1/wallet/top-ups/not-an-id', user.token), 404, 'NOT_FOUND');
    expectEnvelope(await api.get('/api/v1/wallet/top-ups'), 401, 'UNAUTHORIZED');
    expectEnvelope(await api.post('/api/v1/wallet/top-ups', { amount: 1, provider: 'sandbox' }), 401, 'UNAUTHORIZED');
  });
});

describe('Stripe Checkout top-ups', () => {
  it('answers pending with the Checkout URL, then the signed webhook completes it and credits once', async () => {
    const user = await signUp(api);
    const { topUp: pending, session } = await startStripeTopUp(user.token, 25.5);
    expect(pending).toMatchObject({ status: 'pending', provider: 'stripe', amount: 25.5, completed_at: null });
    expect(pending.checkout_url).toBe(session.url);
    expect(pending.reference).toMatch(/^cs_test_/);
    // What Stripe was asked for: the platform currency in cents, the top-up as client reference.
    expect(session).toMatchObject({ amount_total: 2550, currency: 'cny', client_reference_id: pending.id, mode: 'payment' });
    expect(session.metadata).toEqual({ top_up_id: pending.id, user_id: user.id });
    expect(stripe.requests.at(-1)?.idempotencyKey).toBe(`maas-${pending.id}`);
    expect(await balanceNano(server, user.id)).toBe(nano('10'));

    const event = deliver('checkout.session.completed', paid(session));
    const delivered = await event.response;
    expect(delivered.status).toBe(200);
    expect(delivered.body).toEqual({ received: true, outcome: 'credited' });
    const done = await api.get(`/api/v1/wallet/top-ups/${pending.id}`, user.token);
    expect(done.body).toMatchObject({ status: 'completed', reference: session.id, checkout_url: null });
    expect(done.body.completed_at).toBeTruthy();
    expect(await balanceNano(server, user.id)).toBe(nano('35.5'));

    // The same event again (Stripe retries), and another event for the same session: nothing more.
    const replayed = await deliver('checkout.session.completed', paid(session), { id: event.id }).response;
    expect(replayed.body).toEqual({ received: true, outcome: 'duplicate' });
    const second = await deliver('checkout.session.async_payment_succeeded', paid(session)).response;
    expect(second.body).toEqual({ received: true, outcome: 'already_completed' });
    expect(await balanceNano(server, user.id)).toBe(nano('35.5'));
    const ledger = await api.get('/api/v1/wallet/transactions', user.token);
    expect(ledger.body.data.filter((t: { kind: string }) => t.kind === 'top_up')).toEqual([
      expect.objectContaining({ amount: 25.5, reference_id: pending.id, reason: expect.stringContaining(session.id) }),
    ]);
  });

  it('credits once when the same and different events for one session arrive all at once', async () => {
    const user = await signUp(api);
    const { topUp: pending, session } = await startStripeTopUp(user.token, 7);
    const id = `evt_${randomBytes(8).toString('hex')}`;
    const deliveries = [
      ...Array.from({ length: 8 }, () => deliver('checkout.session.completed', paid(session), { id }).response),
      deliver('checkout.session.completed', paid(session)).response,
      deliver('checkout.session.async_payment_succeeded', paid(session)).response,
    ];
    const answers = await Promise.all(deliveries);
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(answers.filter((a) => a.body.outcome === 'credited')).toHaveLength(1);
    expect(await balanceNano(server, user.id)).toBe(nano('17'));
    expect((await api.get(`/api/v1/wallet/top-ups/${pending.id}`, user.token)).body.status).toBe('completed');
  });

  it('refuses a bad or missing signature with 400 and credits nothing', async () => {
    const user = await signUp(api);
    const { topUp: pending, session } = await startStripeTopUp(user.token, 5);
    expectEnvelope(await deliver('checkout.session.completed', paid(session), { secret: 'whsec_wrong' }).response, 400, 'INVALID_REQUEST');
    expectEnvelope(await deliver('checkout.session.completed', paid(session), { signature: null }).response, 400, 'INVALID_REQUEST');
    expectEnvelope(
      await deliver('checkout.session.completed', paid(session), { signature: 't=1,v1=abc' }).response,
      400,
      'INVALID_REQUEST',
    );
    // A body changed after signing no longer matches its signature.
    const payload = JSON.stringify({ id: 'evt_x', object: 'event', type: 'checkout.session.completed', data: { object: paid(session) } });
    const header = signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
    const tampered = await api.call('POST', '/api/v1/webhooks/stripe', {
      body: payload.replace('"paid"', '"paid" '),
      headers: { 'content-type': 'application/json', 'stripe-signature': header },
    });
    expectEnvelope(tampered, 400, 'INVALID_REQUEST');
    expect((await api.get(`/api/v1/wallet/top-ups/${pending.id}`, user.token)).body.status).toBe('pending');
    expect(await balanceNano(server, user.id)).toBe(nano('10'));
  });

  it('does not credit a session whose amount or currency differs from the top-up', async () => {
    const user = await signUp(api);
    const { topUp: pending, session } = await startStripeTopUp(user.token, 9);
    const cheaper = await deliver('checkout.session.completed', paid(session, { amount_total: 100 })).response;
    expect(cheaper.body).toEqual({ received: true, outcome: 'amount_mismatch' });
    const later = await deliver('checkout.session.completed', paid(session)).response;
    expect(later.body).toEqual({ received: true, outcome: 'amount_mismatch' });
    expect((await api.get(`/api/v1/wallet/top-ups/${pending.id}`, user.token)).body.status).toBe('failed');

    const other = await startStripeTopUp(user.token, 9);
    const dollars = await deliver('checkout.session.completed', paid(other.session, { currency: 'usd' })).response;
    expect(dollars.body.outcome).toBe('amount_mismatch');
    expect(await balanceNano(server, user.id)).toBe(nano('10'));
  });

  it('waits for the payment of an unpaid session, fails an expired one, and ignores other events', async () => {
    const user = await signUp(api);
    const { topUp: pending, session } = await startStripeTopUp(user.token, 4);
    expect((await deliver('checkout.session.completed', session).response).body.outcome).toBe('not_paid');
    expect((await deliver('checkout.session.async_payment_succeeded', paid(session)).response).body.outcome).toBe('credited');
    expect((await api.get(`/api/v1/wallet/top-ups/${pending.id}`, user.token)).body.status).toBe('completed');

    const abandoned = await startStripeTopUp(user.token, 6);
    expect((await deliver('checkout.session.expired', { ...abandoned.session, status: 'expired' }).response).body.outcome).toBe('failed');
    expect((await api.get(`/api/v1/wallet/top-ups/${abandoned.topUp.id}`, user.token)).body.status).toBe('failed');

    const ignored = await deliver('payment_intent.created', { id: 'pi_123', object: 'payment_intent' }).response;
    expect(ignored.status).toBe(200);
    expect(ignored.body).toEqual({ received: true, outcome: 'ignored' });
    const stranger = await deliver(
      'checkout.session.completed',
      paid({ ...session, id: 'cs_test_other', client_reference_id: 'topup_unknown' }),
    ).response;
    expect(stranger.body.outcome).toBe('unknown_top_up');
    expect(await balanceNano(server, user.id)).toBe(nano('14'));
  });

  it('refuses amounts finer than a cent, and answers 502 when Stripe fails; a retry with the same key then succeeds', async () => {
    const user = await signUp(api);
    const fine = await topUp(user.token, { amount: 1.005, provider: 'stripe' });
    expect(expectEnvelope(fine, 400, 'INVALID_REQUEST').details).toMatchObject({ field: 'amount' });

    stripe.failNext(2); // the first attempt and the client's one automatic retry
    const key = `stripe-${randomBytes(4).toString('hex')}`;
    expectEnvelope(await topUp(user.token, { amount: 8, provider: 'stripe' }, key), 502, 'UPSTREAM_ERROR');
    const retried = await topUp(user.token, { amount: 8, provider: 'stripe' }, key);
    expect(retried.status).toBe(201);
    expect(retried.body).toMatchObject({ status: 'pending', amount: 8 });
    expect(retried.body.checkout_url).toMatch(/^https:\/\/checkout\.stripe\.com\//);
    expect((await api.get('/api/v1/wallet/top-ups', user.token)).body.pagination.total).toBe(1);
  });

  it('answers 400 for provider stripe where Stripe is not configured, and 404 on its webhook', async () => {
    const bare = await startPeerServer(server, { MAAS_STRIPE_SECRET_KEY: '', MAAS_STRIPE_WEBHOOK_SECRET: '', MAAS_STRIPE_API_BASE: '' });
    try {
      const user = await signUp(api);
      const res = await apiClient(bare.url).post('/api/v1/wallet/top-ups', { amount: 5, provider: 'stripe' }, user.token);
      expect(expectEnvelope(res, 400, 'INVALID_REQUEST').details).toMatchObject({ field: 'provider' });
      const hook = await apiClient(bare.url).call('POST', '/api/v1/webhooks/stripe', {
        body: '{}',
        headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=x' },
      });
      expectEnvelope(hook, 404, 'NOT_FOUND');
    } finally {
      await bare.close();
    }
  });
});
