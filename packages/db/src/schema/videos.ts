// Video generation jobs (issue 14): see migrations/0014_video_jobs.ts.
import type { ColumnType, Selectable } from 'kysely';
import type { NullableTimestamp, Timestamp } from './users.js';

export type VideoJobStatus = 'queued' | 'in_progress' | 'completed' | 'failed';

export interface VideoJobsTable {
  /** `video_…` */
  id: string;
  owner_id: string;
  api_key_id: string | null;
  app_id: string | null;
  model_id: string;
  /** The model's public name when the job was made, as the job answers it. */
  model_name: string;
  /** The per-call reservation holding the requested seconds' cost until the job settles. */
  reservation_id: string;
  /** Price per second the reservation was made at. */
  unit_price_nano: ColumnType<bigint, bigint, never>;
  status: ColumnType<VideoJobStatus, VideoJobStatus | undefined, VideoJobStatus>;
  progress: ColumnType<number, number | undefined, number>;
  prompt: string;
  seconds: number;
  /** `WIDTHxHEIGHT` as requested. */
  size: string;
  /** The owner's image file the video starts from (input_reference), if any. */
  input_file_id: ColumnType<string | null, string | null | undefined, string | null>;
  file_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** Milliseconds of video delivered and billed. */
  billed_ms: ColumnType<number | null, number | null | undefined, number | null>;
  provider_id: ColumnType<string | null, string | null | undefined, string | null>;
  error_code: ColumnType<string | null, string | null | undefined, string | null>;
  error_message: ColumnType<string | null, string | null | undefined, string | null>;
  attempts: ColumnType<number, number | undefined, number>;
  claimed_by: ColumnType<string | null, string | null | undefined, string | null>;
  claimed_until: NullableTimestamp;
  created_at: Timestamp;
  started_at: NullableTimestamp;
  completed_at: NullableTimestamp;
  deleted_at: NullableTimestamp;
}

export type VideoJob = Selectable<VideoJobsTable>;

export interface VideosTables {
  video_jobs: VideoJobsTable;
}
