import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiClient,
  type ApiClient,
  balanceNano,
  expectEnvelope,
  nano,
  signUp,
  signUpAs,
  signUpMany,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../kit/index.js';

let server: TestServer;
let api: ApiClient;
let admin: TestUser;

beforeAll(async () => {
  // Failed redemptions share the sign-in failure budget's settings; the per-network budget is
  // raised here because every request of this file comes from 127.0.0.1.
  server = await startTestServer({ MAAS_LOGIN_MAX_FAILURES_PER_IP: '1000' });
  api = apiClient(server.url);
  admin = await signUpAs(server, api, 'admin');
});
afterAll(() => server?.close());

async function mint(body: Record<string, unknown>) {
  const res = await api.post('/api/v1/admin/redemption-codes', body, admin.token);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; codes: string[]; count: number; amount: number; expires_at: string | null; note: string | null };
}

function redeem(user: TestUser, code: string) {
  return api.post('/api/v1/wallet/redeem', { code }, user.token);
}

describe('POST /api/v1/admin/redemption-codes', () => {
  it('mints a batch, shows the codes once and stores only their hashes; the audit log has no code', async () => {
    const batch = await mint({ count: 3, amount: 5, note: 'launch promo' });
    expect(batch).toMatchObject({ count: 3, amount: 5, currency: 'CNY', expires_at: null, note: 'launch promo' });
    expect(batch.id).toMatch(/^rcbatch_/);
    expect(batch.codes).toHaveLength(3);
    expect(new Set(batch.codes).size).toBe(3);
    for (const code of batch.codes) expect(code).toMatch(/^MAAS(-[A-Z2-7]{4}){6}$/);

    const stored = await server.server.platform.db.selectFrom('redemption_codes').selectAll().where('batch_id', '=', batch.id).execute();
    expect(stored).toHaveLength(3);
    const dump = JSON.stringify(stored, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
    for (const code of batch.codes) expect(dump).not.toContain(code.replace(/-/g, '').slice(4));

    await server.server.platform.background.drain();
    const audit = await api.get(`/api/v1/admin/audit-log?target_id=${batch.id}`, admin.token);
    const entry = audit.body.data.find((e: { action: string }) => e.action === 'topUps.mintCodes');
    expect(entry).toMatchObject({ actor_id: admin.id, target_id: batch.id });
    for (const code of batch.codes) expect(JSON.stringify(audit.body)).not.toContain(code);
  });

  it('refuses bad counts, amounts and past expiries with 400', async () => {
    for (const body of [
      { count: 0, amount: 1 },
      { count: 1001, amount: 1 },
      { count: 1.5, amount: 1 },
      { count: 1, amount: 0 },
      { count: 1, amount: 1.0000000001 },
      { count: 1, amount: 1, expires_at: 'tomorrow' },
      { count: 1, amount: 1, surprise: true },
    ]) {
      expectEnvelope(await api.post('/api/v1/admin/redemption-codes', body, admin.token), 400, 'INVALID_REQUEST');
    }
    const past = await api.post('/api/v1/admin/redemption-codes', { count: 1, amount: 1, expires_at: '2020-01-01T00:00:00Z' }, admin.token);
    expect(expectEnvelope(past, 400, 'INVALID_REQUEST').details).toMatchObject({ field: 'expires_at' });
  });

  it('is for admins only: 403 for users and developers, 401 anonymous', async () => {
    const user = await signUp(api);
    const developer = await signUpAs(server, api, 'developer');
    for (const caller of [user, developer]) {
      expectEnvelope(await api.post('/api/v1/admin/redemption-codes', { count: 1, amount: 100 }, caller.token), 403, 'FORBIDDEN');
      expectEnvelope(await api.get('/api/v1/admin/redemption-codes', caller.token), 403, 'FORBIDDEN');
    }
    expectEnvelope(await api.post('/api/v1/admin/redemption-codes', { count: 1, amount: 100 }), 401, 'UNAUTHORIZED');
  });
});

describe('POST /api/v1/wallet/redeem', () => {
  it('credits the amount once, in the ledger with the code id as reference; the list shows it redeemed', async () => {
    const batch = await mint({ count: 2, amount: '2.5' });
    const user = await signUp(api);
    // Case, spaces and dashes do not matter.
    const typed = ` ${batch.codes[0]!.toLowerCase().replace(/-/g, ' ')} `;
    const res = await redeem(user, typed);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ amount: 2.5, currency: 'CNY', balance_after: 12.5 });
    expect(res.body.id).toMatch(/^rcode_/);
    expect(await balanceNano(server, user.id)).toBe(nano('12.5'));
    const ledger = await api.get('/api/v1/wallet/transactions', user.token);
    expect(ledger.body.data[0]).toMatchObject({ id: res.body.transaction_id, kind: 'redemption', amount: 2.5, reference_id: res.body.id });

    const again = await redeem(user, batch.codes[0]!);
    expect(expectEnvelope(again, 409, 'CONFLICT').details).toMatchObject({ code_id: res.body.id });
    const other = await signUp(api);
    const theirs = expectEnvelope(await redeem(other, batch.codes[0]!), 400, 'INVALID_REQUEST');
    const unknown = expectEnvelope(await redeem(other, 'MAAS-AAAA-BBBB-CCCC-DDDD-EEEE-FFFF'), 400, 'INVALID_REQUEST');
    // A code redeemed by someone else answers exactly like one that never existed.
    expect(theirs.message).toBe(unknown.message);
    expect(theirs.details).toEqual(unknown.details);
    expect(await balanceNano(server, user.id)).toBe(nano('12.5'));
    expect(await balanceNano(server, other.id)).toBe(nano('10'));

    const list = await api.get(`/api/v1/admin/redemption-codes?batch_id=${batch.id}`, admin.token);
    expect(list.status).toBe(200);
    expect(list.body.pagination.total).toBe(2);
    const byStatus = Object.fromEntries(list.body.data.map((c: { status: string }) => [c.status, c]));
    expect(byStatus.redeemed).toMatchObject({ id: res.body.id, batch_id: batch.id, amount: 2.5, redeemed_by: user.id });
    expect(byStatus.unused).toMatchObject({ batch_id: batch.id, redeemed_by: null, redeemed_at: null });
    for (const code of batch.codes) expect(JSON.stringify(list.body)).not.toContain(code);
    const redeemedOnly = await api.get(`/api/v1/admin/redemption-codes?batch_id=${batch.id}&status=redeemed`, admin.token);
    expect(redeemedOnly.body.data.map((c: { id: string }) => c.id)).toEqual([res.body.id]);
  });

  it('refuses an expired code with 400 and lists it as expired', async () => {
    const batch = await mint({ count: 1, amount: 3, expires_at: new Date(Date.now() + 3_600_000).toISOString() });
    expect(batch.expires_at).toBeTruthy();
    await sql`UPDATE redemption_codes SET expires_at = now() - interval '1 minute' WHERE batch_id = ${batch.id}`.execute(
      server.server.platform.db,
    );
    const user = await signUp(api);
    const res = await api.post('/api/v1/wallet/redeem', { code: batch.codes[0] }, user.token, { 'accept-language': 'en' });
    expect(expectEnvelope(res, 400, 'INVALID_REQUEST').message).toBe('This redemption code has expired');
    expect(await balanceNano(server, user.id)).toBe(nano('10'));
    const list = await api.get(`/api/v1/admin/redemption-codes?batch_id=${batch.id}`, admin.token);
    expect(list.body.data[0].status).toBe('expired');
    const expiredOnly = await api.get(`/api/v1/admin/redemption-codes?batch_id=${batch.id}&status=unused`, admin.token);
    expect(expiredOnly.body.data).toEqual([]);
  });

  it('lets exactly one of 20 concurrent redemptions of one code through', async () => {
    const batch = await mint({ count: 1, amount: 7 });
    const users = await signUpMany(api, 20, 'race');
    const answers = await Promise.all(users.map((user) => redeem(user, batch.codes[0]!)));
    const winners = answers.filter((answer) => answer.status === 201);
    expect(winners).toHaveLength(1);
    for (const answer of answers) if (answer.status !== 201) expectEnvelope(answer, 400, 'INVALID_REQUEST');
    const { rows } = await sql<{ credits: number; total: string }>`
      SELECT count(*)::int AS credits, coalesce(sum(amount_nano), 0)::text AS total
      FROM ledger_entries WHERE kind = 'redemption' AND reference_id = ${winners[0]!.body.id}`.execute(server.server.platform.db);
    expect(rows[0]).toEqual({ credits: 1, total: String(nano('7')) });
    const balances = await Promise.all(users.map((user) => balanceNano(server, user.id)));
    expect(balances.reduce((sum, balance) => sum + balance, 0n)).toBe(nano('207'));
  });

  it('stops a guesser after a few failed attempts with 429 and Retry-After', async () => {
    const guesser = await signUp(api);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 7; attempt++) {
      statuses.push((await redeem(guesser, `MAAS-GUES-S${attempt}AA-AAAA-AAAA-AAAA-AAAA`)).status);
    }
    expect(statuses.slice(0, 5)).toEqual([400, 400, 400, 400, 400]);
    const limited = await redeem(guesser, 'MAAS-GUES-SZAA-AAAA-AAAA-AAAA-AAAA');
    expectEnvelope(limited, 429, 'RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // Sign-in is a separate budget: the guesser can still sign in.
    expect((await api.post('/api/v1/auth/token', { username: guesser.username, password: guesser.password })).status).toBe(200);
  });

  it('requires authentication and a code', async () => {
    expectEnvelope(await api.post('/api/v1/wallet/redeem', { code: 'MAAS-AAAA' }), 401, 'UNAUTHORIZED');
    const user = await signUp(api);
    expectEnvelope(await api.post('/api/v1/wallet/redeem', {}, user.token), 400, 'INVALID_REQUEST');
    expectEnvelope(await api.post('/api/v1/wallet/redeem', { code: '' }, user.token), 400, 'INVALID_REQUEST');
  });
});
