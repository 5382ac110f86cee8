import { type Kysely, sql } from 'kysely';

// Issue 14, the video operation: a video is an asynchronous job (OpenAI's /v1/videos), kept here so
// it survives a restart and any instance's worker can run it.
// - Funded by a per-call reservation (reservation_id), never an instance's wallet lease: the
//   instance that finishes the job may not be the one that took the request. unit_price_nano is
//   the per-second price the reservation was made at; billed_ms what was delivered (settlement).
// - claimed_by / claimed_until: the worker running it and how long its claim lasts. A worker takes
//   a job with one UPDATE over `FOR UPDATE SKIP LOCKED`, so two never take the same one; a claim
//   that lapses (a crashed instance) is taken again while attempts < the worker's limit, then the
//   job fails. Settlement is exactly once (the reservation's status), whatever happens.
// - input_file_id: the owner's image the video starts from (OpenAI's input_reference), if any; no
//   foreign key: a job whose image was deleted before it ran fails rather than ignoring it.
// - deleted_at: deleted by its owner (hidden; a queued job deleted is cancelled and costs nothing).

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TABLE video_jobs (
    id text PRIMARY KEY,
    owner_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    api_key_id text,
    app_id text,
    model_id text NOT NULL,
    model_name text NOT NULL,
    reservation_id text NOT NULL UNIQUE,
    unit_price_nano bigint NOT NULL CHECK (unit_price_nano >= 0),
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'in_progress', 'completed', 'failed')),
    progress integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    prompt text NOT NULL,
    seconds integer NOT NULL CHECK (seconds > 0),
    size text NOT NULL,
    input_file_id text,
    file_id text REFERENCES files(id) ON DELETE SET NULL,
    billed_ms integer,
    provider_id text,
    error_code text,
    error_message text,
    attempts integer NOT NULL DEFAULT 0,
    claimed_by text,
    claimed_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    completed_at timestamptz,
    deleted_at timestamptz
  )`.execute(db);
  // The worker's queue: the oldest queued job, and claims that lapsed.
  await sql`CREATE INDEX video_jobs_queue_idx ON video_jobs (status, created_at) WHERE status IN ('queued', 'in_progress')`.execute(db);
  await sql`CREATE INDEX video_jobs_owner_idx ON video_jobs (owner_id, created_at DESC)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE video_jobs`.execute(db);
}
