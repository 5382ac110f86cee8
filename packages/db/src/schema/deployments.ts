// Where a model served from its own uploaded file runs (issue 15 part 2).
import type { ColumnType } from 'kysely';
import type { Timestamp } from './users.js';

export type DeploymentState = 'deploying' | 'active' | 'failed';

export interface ModelDeploymentsTable {
  model_id: string;
  /** `local` (the built-in runtime) or, later, the id of an engine provider (ollama). */
  runtime: string;
  state: DeploymentState;
  /** Why the last deployment failed; null otherwise. */
  error: string | null;
  /** When the runtime last loaded the file. */
  loaded_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DeploymentsTables {
  model_deployments: ModelDeploymentsTable;
}
