import { type ApiClient, setRole, signUp, type TestServer } from './server.js';

export type TestUser = Awaited<ReturnType<typeof signUp>>;

export async function developer(server: TestServer, api: ApiClient, prefix = 'dev'): Promise<TestUser> {
  const user = await signUp(api, prefix);
  await setRole(server, user.id, 'developer');
  return user;
}

export async function admin(server: TestServer, api: ApiClient): Promise<TestUser> {
  const user = await signUp(api, 'admin');
  await setRole(server, user.id, 'admin');
  return user;
}

let toolCounter = 0;

/** Publishes a tool as `author` and returns its detail; overrides go straight into the body. */
export async function publishTool(api: ApiClient, author: TestUser, overrides: Record<string, unknown> = {}) {
  toolCounter += 1;
  const res = await api.post(
    '/api/v1/tools',
    { name: `Tool ${toolCounter}`, description: 'does things', category: 'development', price: 0, ...overrides },
    author.token,
  );
  if (res.status !== 201) throw new Error(`publish failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; price: number; status: string; [key: string]: unknown };
}

export async function balanceNano(server: TestServer, userId: string): Promise<bigint> {
  const wallet = await server.server.platform.db
    .selectFrom('wallets')
    .select('balance_nano')
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return wallet.balance_nano;
}

export async function ledgerOf(server: TestServer, userId: string) {
  return server.server.platform.db.selectFrom('ledger_entries').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
}

export async function ordersOf(server: TestServer, userId: string) {
  return server.server.platform.db.selectFrom('tool_orders').selectAll().where('user_id', '=', userId).execute();
}

export function nano(units: string): bigint {
  const [whole = '0', fraction = ''] = units.split('.');
  return BigInt(whole) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0'));
}
