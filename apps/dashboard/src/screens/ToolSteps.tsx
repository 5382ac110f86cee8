import { enumLabel } from '../enums.js';
import { formatMoney } from '../format.js';
import { useI18n } from '../locale.js';
import type { ToolStep } from './tool-steps.js';

/** The tool calls of the last answer, shown inline in the transcript as they stream in. */
export function ToolSteps({ steps }: { steps: readonly ToolStep[] }) {
  const { t, locale } = useI18n();
  if (steps.length === 0) return null;
  return (
    <ol className="tool-steps" aria-label={t('play.toolSteps')} data-testid="tool-steps">
      {steps.map((step) => (
        <li key={step.call_id} data-testid="tool-step" data-status={step.result?.status ?? 'running'}>
          <span data-testid="tool-call">
            {t('play.toolCall', { name: step.function })} <code>{step.arguments}</code>
          </span>{' '}
          <small data-testid="tool-result">
            {step.result
              ? t('play.toolResult', {
                  status: enumLabel(t, 'toolCallStatus', step.result.status),
                  cost: formatMoney(step.result.cost, locale),
                  latency: step.result.latency_ms,
                })
              : t('play.toolRunning')}
          </small>
        </li>
      ))}
    </ol>
  );
}
