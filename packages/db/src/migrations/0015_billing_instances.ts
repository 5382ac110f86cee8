import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // Each running instance beats here; a lease or reservation whose instance stopped beating was
  // left by a crash and is released within seconds instead of after the 15-minute age sweep.
  await sql`CREATE TABLE billing_instances (
    id text PRIMARY KEY,
    pid integer NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
  await sql`ALTER TABLE wallet_leases ADD COLUMN instance_id text`.execute(db);
  // Set by a debit of the lease's owner that found too little available: the instance holding the
  // lease gives back what its calls do not need, then clears it.
  await sql`ALTER TABLE wallet_leases ADD COLUMN reclaim_requested_at timestamptz`.execute(db);
  await sql`ALTER TABLE model_reservations ADD COLUMN instance_id text`.execute(db);
  // A reclaimed lease keeps only what its calls in flight and booked need, which may be nothing.
  await sql`ALTER TABLE wallet_leases DROP CONSTRAINT wallet_leases_amount_nano_check`.execute(db);
  await sql`ALTER TABLE wallet_leases ADD CONSTRAINT wallet_leases_amount_nano_check CHECK (amount_nano >= 0)`.execute(db);
  await sql`CREATE INDEX wallet_leases_open_user_idx ON wallet_leases (user_id) WHERE status = 'open'`.execute(db);
  await sql`CREATE INDEX wallet_leases_open_instance_idx ON wallet_leases (instance_id) WHERE status = 'open'`.execute(db);
  await sql`CREATE INDEX model_reservations_held_instance_idx ON model_reservations (instance_id) WHERE status = 'held'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX model_reservations_held_instance_idx`.execute(db);
  await sql`DROP INDEX wallet_leases_open_instance_idx`.execute(db);
  await sql`DROP INDEX wallet_leases_open_user_idx`.execute(db);
  await sql`ALTER TABLE wallet_leases DROP CONSTRAINT wallet_leases_amount_nano_check`.execute(db);
  await sql`ALTER TABLE wallet_leases ADD CONSTRAINT wallet_leases_amount_nano_check CHECK (amount_nano > 0)`.execute(db);
  await sql`ALTER TABLE model_reservations DROP COLUMN instance_id`.execute(db);
  await sql`ALTER TABLE wallet_leases DROP COLUMN reclaim_requested_at`.execute(db);
  await sql`ALTER TABLE wallet_leases DROP COLUMN instance_id`.execute(db);
  await sql`DROP TABLE billing_instances`.execute(db);
}
