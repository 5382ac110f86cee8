import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE audit_log (
    id text PRIMARY KEY,
    actor_id text,
    action text NOT NULL,
    target_type text,
    target_id text,
    before jsonb,
    after jsonb,
    request_id text,
    ip text,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
  )`.execute(db);
  await sql`CREATE INDEX audit_log_created_idx ON audit_log (created_at DESC, id DESC)`.execute(db);
  await sql`CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id)`.execute(db);
  await sql`CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, created_at DESC)`.execute(db);
  // Every money movement is audited by the database itself, in the transaction that books it, so
  // no code path can move money without leaving a trace.
  await sql`CREATE FUNCTION audit_ledger_entry() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO audit_log (id, actor_id, action, target_type, target_id, before, after)
      VALUES (
        'audit_' || NEW.id,
        COALESCE(NEW.actor_id, NEW.user_id),
        'wallet.' || NEW.kind,
        'wallet',
        NEW.user_id,
        jsonb_build_object('balance_nano', (NEW.balance_after_nano - NEW.amount_nano)::text),
        jsonb_build_object('balance_nano', NEW.balance_after_nano::text, 'amount_nano', NEW.amount_nano::text,
                           'ledger_entry_id', NEW.id, 'reason', NEW.reason, 'reference_id', NEW.reference_id)
      );
      RETURN NEW;
    END
  $$`.execute(db);
  await sql`CREATE TRIGGER ledger_entries_audit AFTER INSERT ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION audit_ledger_entry()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER ledger_entries_audit ON ledger_entries`.execute(db);
  await sql`DROP FUNCTION audit_ledger_entry()`.execute(db);
  await sql`DROP TABLE audit_log`.execute(db);
}
