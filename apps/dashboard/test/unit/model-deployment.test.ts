import { describe, expect, it } from 'vitest';
import { en, zhCN } from '../../src/i18n.js';
import {
  canRedeploy,
  deploymentBadgeClass,
  deploymentStateKey,
  type DeploymentView,
  pollWhileDeploying,
} from '../../src/screens/model-deployment.js';

const deployment = (state: DeploymentView['state']): DeploymentView => ({
  runtime: 'local',
  state,
  error: state === 'failed' ? 'not a GGUF file' : null,
  loaded_at: state === 'active' ? '2026-12-06T20:00:00.000Z' : null,
});

describe('the model screen’s deployment view', () => {
  it('badges active green, failed red, deploying plain, each state named in both languages', () => {
    expect(deploymentBadgeClass('active')).toBe('badge running');
    expect(deploymentBadgeClass('failed')).toBe('badge stopped');
    expect(deploymentBadgeClass('deploying')).toBe('badge');
    for (const state of ['deploying', 'active', 'failed'] as const) {
      expect(en[deploymentStateKey(state)]).toBeTruthy();
      expect(zhCN[deploymentStateKey(state)]).not.toBe(en[deploymentStateKey(state)]);
    }
  });

  it('offers Redeploy only to whom the API shows routes (the owner, admins), and only for a deployed model', () => {
    expect(canRedeploy({ deployment: deployment('failed'), routes: [] })).toBe(true);
    expect(canRedeploy({ deployment: deployment('active') })).toBe(false);
    expect(canRedeploy({ routes: [] })).toBe(false);
  });

  it('polls while the file loads, and stops once it is active or failed', () => {
    expect(pollWhileDeploying({ deployment: deployment('deploying') })).toBe(1_000);
    expect(pollWhileDeploying({ deployment: deployment('active') })).toBe(false);
    expect(pollWhileDeploying({ deployment: deployment('failed') })).toBe(false);
    expect(pollWhileDeploying({})).toBe(false);
    expect(pollWhileDeploying(undefined)).toBe(false);
  });

  it('names the model_revenue ledger kind in both languages', () => {
    expect(en['enum.ledgerKind.model_revenue']).toBe('Model revenue');
    expect(zhCN['enum.ledgerKind.model_revenue']).toBe('模型收入');
  });
});
