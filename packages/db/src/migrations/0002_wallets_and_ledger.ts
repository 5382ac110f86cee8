import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE wallets (
    user_id text PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    balance_nano bigint NOT NULL DEFAULT 0 CHECK (balance_nano >= 0),
    held_nano bigint NOT NULL DEFAULT 0 CHECK (held_nano >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT wallets_spendable_check CHECK (balance_nano >= held_nano)
  )`.execute(db);
  await sql`CREATE TABLE ledger_entries (
    id text PRIMARY KEY,
    user_id text NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
    amount_nano bigint NOT NULL,
    balance_after_nano bigint NOT NULL CHECK (balance_after_nano >= 0),
    kind text NOT NULL,
    reason text,
    reference_id text,
    actor_id text,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
  )`.execute(db);
  await sql`CREATE INDEX ledger_entries_user_created_idx ON ledger_entries (user_id, created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX ledger_entries_reference_idx ON ledger_entries (reference_id)`.execute(db);
  // The ledger is the audit trail of money: history is never rewritten, only appended to.
  await sql`CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'ledger_entries is append-only';
    END
  $$`.execute(db);
  await sql`CREATE TRIGGER ledger_entries_no_update_or_delete
    BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE ledger_entries`.execute(db);
  await sql`DROP FUNCTION ledger_entries_append_only()`.execute(db);
  await sql`DROP TABLE wallets`.execute(db);
}
