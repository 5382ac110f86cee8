import { type Kysely, sql } from 'kysely';

// Issue 14 part 1: what a model can do. `operations` is a JSON array of operation names, or NULL for
// "what its category does by default" (text: chat; image: image_generation + image_edit; audio:
// speech + transcription; video: video_generation), so a model's category change keeps it coherent
// until someone sets the list explicitly. The list of names is repeated here on purpose: a
// migration never changes after it lands (an operation added later needs a new one).

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE models ADD COLUMN operations jsonb CHECK (
    operations IS NULL OR (
      jsonb_typeof(operations) = 'array'
      AND jsonb_array_length(operations) > 0
      AND operations <@ '["chat","embeddings","image_generation","image_edit","speech","transcription","video_generation"]'::jsonb
    )
  )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE models DROP COLUMN operations`.execute(db);
}
