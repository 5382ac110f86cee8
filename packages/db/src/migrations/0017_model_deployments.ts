import { type Kysely, sql } from 'kysely';

// Issue 15 part 2: a model with a model file and no routes is deployed on a runtime (the built-in
// local one by default). One row per deployed model, gone with the model.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE model_deployments (
    model_id text PRIMARY KEY REFERENCES models(id) ON DELETE CASCADE,
    runtime text NOT NULL DEFAULT 'local',
    state text NOT NULL DEFAULT 'deploying' CHECK (state IN ('deploying', 'active', 'failed')),
    error text,
    loaded_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE model_deployments`.execute(db);
}
