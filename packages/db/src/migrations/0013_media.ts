import { type Kysely, sql } from 'kysely';

// Issue 14 parts 3 and 5: media the platform generates are files, and media are billed by their own
// units.
// - files.purpose: 'upload' (a user's upload), 'model' (a model file, issue 15) or 'generated' (an
//   image, audio or video the platform made for its owner). expires_at is set on generated files
//   from the retention setting; a sweep deletes them. metadata holds what was read from the file
//   (a model file's header, a generated image's size, an audio's duration).
// - models.unit_prices: the per-unit prices beside the per-token ones (per_image, per_image_by,
//   per_second, per_1k_characters, per_minute), nano-units as decimal strings in a JSON object.
// - usage_records.units: what a unit-billed call delivered: {unit, quantity, unit_price_nano}.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE files ADD COLUMN purpose text NOT NULL DEFAULT 'upload' CHECK (purpose IN ('upload', 'model', 'generated'))`.execute(
    db,
  );
  await sql`ALTER TABLE files ADD COLUMN metadata jsonb`.execute(db);
  await sql`ALTER TABLE files ADD COLUMN expires_at timestamptz`.execute(db);
  await sql`CREATE INDEX files_expiry_idx ON files (expires_at) WHERE expires_at IS NOT NULL`.execute(db);
  await sql`ALTER TABLE models ADD COLUMN unit_prices jsonb CHECK (unit_prices IS NULL OR jsonb_typeof(unit_prices) = 'object')`.execute(
    db,
  );
  await sql`ALTER TABLE usage_records ADD COLUMN units jsonb`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE usage_records DROP COLUMN units`.execute(db);
  await sql`ALTER TABLE models DROP COLUMN unit_prices`.execute(db);
  await sql`DROP INDEX files_expiry_idx`.execute(db);
  await sql`ALTER TABLE files DROP COLUMN expires_at`.execute(db);
  await sql`ALTER TABLE files DROP COLUMN metadata`.execute(db);
  await sql`ALTER TABLE files DROP COLUMN purpose`.execute(db);
}
