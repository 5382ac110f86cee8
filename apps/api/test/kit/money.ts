// Wallet balances and ledger entries read straight from the database, in nano-units.
import type { TestServer } from './server.js';

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

export function nano(units: string): bigint {
  const [whole = '0', fraction = ''] = units.split('.');
  return BigInt(whole) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0'));
}
