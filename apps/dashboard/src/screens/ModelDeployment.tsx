import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { errorMessage, useTRPC } from '../client.js';
import { formatDateTime } from '../format.js';
import { useI18n } from '../locale.js';
import { QueryView } from '../ui.js';
import { canRedeploy, deploymentBadgeClass, deploymentStateKey, pollWhileDeploying } from './model-deployment.js';

/** One model's detail: its prices and, when it is served from its own file, its deployment. */
export function ModelDetails({ modelId }: { modelId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { t, locale } = useI18n();
  const detail = useQuery({
    ...trpc.models.get.queryOptions({ model_id: modelId }),
    refetchInterval: (query) => pollWhileDeploying(query.state.data),
  });
  const redeploy = useMutation(
    trpc.models.deploy.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.models.get.queryKey({ model_id: modelId }) }),
    }),
  );

  return (
    <QueryView query={detail}>
      {(model) => (
        <div className="model-details">
          <p className="muted">{t('models.pricing', { input: model.pricing.input_tokens, output: model.pricing.output_tokens })}</p>
          {model.deployment && (
            <div className="deployment">
              <p>
                <strong>{t('models.deployment')}</strong>{' '}
                <span className={deploymentBadgeClass(model.deployment.state)}>{t(deploymentStateKey(model.deployment.state))}</span>
              </p>
              <p className="muted">
                {t('models.runtime')}: {model.deployment.runtime} · {t('models.loadedAt')}:{' '}
                {formatDateTime(model.deployment.loaded_at, locale)}
              </p>
              {model.deployment.state === 'failed' && model.deployment.error && (
                <p className="error" role="alert">
                  {model.deployment.error}
                </p>
              )}
              {canRedeploy(model) && (
                <button
                  type="button"
                  disabled={redeploy.isPending || model.deployment.state === 'deploying'}
                  onClick={() => redeploy.mutate({ model_id: modelId })}
                >
                  {redeploy.isPending ? t('models.redeploying') : t('models.redeploy')}
                </button>
              )}
              {redeploy.isError && (
                <p className="error" role="alert">
                  {errorMessage(redeploy.error)}
                </p>
              )}
            </div>
          )}
        </div>
      )}
    </QueryView>
  );
}
