import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // A lease is one atomic hold on a wallet (and on an API key's spend cap) that an instance spends
  // many model calls from in memory, settling them in batches. The hold is counted in
  // wallets.held_nano / api_keys.held_nano like any reservation, so the spendable checks and the
  // CHECK constraints hold for leases exactly as for single calls.
  await sql`CREATE TABLE wallet_leases (
    id text PRIMARY KEY,
    user_id text NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
    api_key_id text REFERENCES api_keys(id) ON DELETE RESTRICT,
    amount_nano bigint NOT NULL CHECK (amount_nano > 0),
    charged_nano bigint NOT NULL DEFAULT 0 CHECK (charged_nano >= 0 AND charged_nano <= amount_nano),
    calls integer NOT NULL DEFAULT 0 CHECK (calls >= 0),
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    closed_at timestamptz
  )`.execute(db);
  // Only the crash-recovery sweep looks for open leases by age.
  await sql`CREATE INDEX wallet_leases_open_idx ON wallet_leases (created_at) WHERE status = 'open'`.execute(db);
  await sql`ALTER TABLE usage_records ADD COLUMN lease_id text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE usage_records DROP COLUMN lease_id`.execute(db);
  await sql`DROP TABLE wallet_leases`.execute(db);
}
