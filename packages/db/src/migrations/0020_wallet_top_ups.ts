import { type Kysely, sql } from 'kysely';

// Money in (issue 19 part 6): top-ups through a payment provider, the provider events already
// handled, and redemption codes.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE wallet_top_ups (
    id text PRIMARY KEY,
    user_id text NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
    amount_nano bigint NOT NULL CHECK (amount_nano > 0),
    currency text NOT NULL,
    provider text NOT NULL CHECK (provider IN ('sandbox', 'stripe')),
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'completed', 'failed')),
    checkout_url text,
    reference text,
    failure_reason text,
    idempotency_key text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    CONSTRAINT wallet_top_ups_completed_check CHECK ((status = 'completed') = (completed_at IS NOT NULL))
  )`.execute(db);
  await sql`CREATE INDEX wallet_top_ups_user_created_idx ON wallet_top_ups (user_id, created_at DESC, id DESC)`.execute(db);
  // Identical retries share one top-up.
  await sql`CREATE UNIQUE INDEX wallet_top_ups_idempotency_idx ON wallet_top_ups (user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL`.execute(db);
  // One provider payment (a Stripe Checkout Session) belongs to one top-up.
  await sql`CREATE UNIQUE INDEX wallet_top_ups_reference_idx ON wallet_top_ups (provider, reference) WHERE reference IS NOT NULL`.execute(
    db,
  );
  // Every provider event handled, by its id: a replayed delivery finds its row and changes nothing.
  await sql`CREATE TABLE payment_events (
    provider text NOT NULL,
    event_id text NOT NULL,
    type text NOT NULL,
    top_up_id text,
    outcome text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, event_id)
  )`.execute(db);
  await sql`CREATE TABLE redemption_code_batches (
    id text PRIMARY KEY,
    amount_nano bigint NOT NULL CHECK (amount_nano > 0),
    count integer NOT NULL CHECK (count > 0),
    expires_at timestamptz,
    note text,
    created_by text NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
    created_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
  // Only the SHA-256 of a code is kept: the plain code is shown once, to the admin who minted it.
  await sql`CREATE TABLE redemption_codes (
    id text PRIMARY KEY,
    batch_id text NOT NULL REFERENCES redemption_code_batches(id) ON DELETE RESTRICT,
    code_hash text NOT NULL UNIQUE,
    amount_nano bigint NOT NULL CHECK (amount_nano > 0),
    expires_at timestamptz,
    redeemed_by text REFERENCES users(id) ON DELETE RESTRICT,
    redeemed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT redemption_codes_redeemed_check CHECK ((redeemed_by IS NULL) = (redeemed_at IS NULL))
  )`.execute(db);
  await sql`CREATE INDEX redemption_codes_created_idx ON redemption_codes (created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX redemption_codes_batch_idx ON redemption_codes (batch_id)`.execute(db);
  // The last guard against a double credit: one ledger entry per top-up and per code.
  await sql`CREATE UNIQUE INDEX ledger_entries_money_in_idx ON ledger_entries (kind, reference_id)
    WHERE kind IN ('top_up', 'redemption')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX ledger_entries_money_in_idx`.execute(db);
  await sql`DROP TABLE redemption_codes`.execute(db);
  await sql`DROP TABLE redemption_code_batches`.execute(db);
  await sql`DROP TABLE payment_events`.execute(db);
  await sql`DROP TABLE wallet_top_ups`.execute(db);
}
