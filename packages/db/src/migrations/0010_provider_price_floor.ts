import { type Kysely, sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The least a model routed to this provider may charge per token, unless an admin owns the model:
  // the provider's upstream key is the platform's, so a developer must not price calls below cost.
  await sql`ALTER TABLE providers ADD COLUMN min_input_nano_per_token bigint NOT NULL DEFAULT 0 CHECK (min_input_nano_per_token >= 0)`.execute(
    db,
  );
  await sql`ALTER TABLE providers ADD COLUMN min_output_nano_per_token bigint NOT NULL DEFAULT 0 CHECK (min_output_nano_per_token >= 0)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE providers DROP COLUMN min_output_nano_per_token`.execute(db);
  await sql`ALTER TABLE providers DROP COLUMN min_input_nano_per_token`.execute(db);
}
