import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '../client.js';
import { enumLabel } from '../enums.js';
import { formatDateTime, formatMoney } from '../format.js';
import { useI18n } from '../locale.js';
import { Empty, Pager, QueryView } from '../ui.js';

/** A tool's calls (newest first) and what they earned its author, with totals (GET /tools/{tool_id}/usage). */
export function ToolUsage({ toolId }: { toolId: string }) {
  const trpc = useTRPC();
  const { t, locale } = useI18n();
  const [page, setPage] = useState(1);
  // Calls keep coming: read them afresh whenever the view opens.
  const usage = useQuery({
    ...trpc.tools.usage.queryOptions({ tool_id: toolId, page, limit: 20 }),
    placeholderData: keepPreviousData,
    refetchOnMount: 'always',
  });
  return (
    <div data-testid="tool-usage">
      <h3>{t('author.usage')}</h3>
      <QueryView query={usage}>
        {(u) => (
          <>
            <div className="stats">
              <div className="stat">
                <span>{t('author.calls')}</span>
                <strong data-testid="usage-calls">{u.totals.calls}</strong>
              </div>
              <div className="stat">
                <span>{t('author.successful')}</span>
                <strong>{u.totals.successful_calls}</strong>
              </div>
              <div className="stat">
                <span>{t('author.charged')}</span>
                <strong>{formatMoney(u.totals.charged, locale)}</strong>
              </div>
              <div className="stat">
                <span>{t('author.revenue')}</span>
                <strong data-testid="usage-revenue">{formatMoney(u.totals.revenue, locale)}</strong>
              </div>
            </div>
            {u.data.length === 0 ? (
              <Empty />
            ) : (
              <>
                <div className="table-wrap">
                  <table>
                    <thead>
                      <tr>
                        <th>{t('common.created')}</th>
                        <th>{t('author.function')}</th>
                        <th>{t('common.status')}</th>
                        <th className="num">{t('author.latency')}</th>
                        <th className="num">{t('author.charged')}</th>
                        <th className="num">{t('author.revenue')}</th>
                        <th>{t('author.caller')}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {u.data.map((call) => (
                        <tr key={call.id}>
                          <td>{formatDateTime(call.created_at, locale)}</td>
                          <td>
                            <code>{call.function}</code> {call.version}
                          </td>
                          <td title={call.error ?? undefined}>{enumLabel(t, 'toolCallStatus', call.status)}</td>
                          <td className="num">{call.latency_ms}</td>
                          <td className="num">{formatMoney(call.cost, locale)}</td>
                          <td className="num">{formatMoney(call.author_credit, locale)}</td>
                          <td>
                            {call.caller.username} · {enumLabel(t, 'toolCallVia', call.via)}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                <Pager page={u.pagination.page} pages={u.pagination.pages} onPage={setPage} />
              </>
            )}
          </>
        )}
      </QueryView>
    </div>
  );
}
