// What the model screen shows of a model served from its own file (issue 15): its deployment, as
// GET /models/{id} answers it, and whether the viewer may deploy it again.
import type { MessageKey } from '../i18n.js';

export type DeploymentState = 'deploying' | 'active' | 'failed';

export interface DeploymentView {
  runtime: string;
  state: DeploymentState;
  error: string | null;
  loaded_at: string | null;
}

/** The badge's classes: green when it serves, red when it failed, plain while it loads. */
export function deploymentBadgeClass(state: DeploymentState): string {
  if (state === 'active') return 'badge running';
  if (state === 'failed') return 'badge stopped';
  return 'badge';
}

export function deploymentStateKey(state: DeploymentState): MessageKey {
  return `models.state.${state}`;
}

/**
 * POST /models/{id}/deploy is for the owner and admins; the detail shows `routes` to exactly those
 * viewers, so its presence says whether the button applies.
 */
export function canRedeploy(detail: { deployment?: DeploymentView; routes?: unknown[] }): boolean {
  return detail.deployment !== undefined && detail.routes !== undefined;
}

/** Poll the detail while the file loads, to show the state it ends in. */
export function pollWhileDeploying(detail: { deployment?: DeploymentView } | undefined): number | false {
  return detail?.deployment?.state === 'deploying' ? 1_000 : false;
}
