import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '../client.js';
import { formatDateTime, formatMoney, formatNumber } from '../format.js';
import type { MessageKey } from '../i18n.js';
import { enumLabel } from '../enums.js';
import { useI18n } from '../locale.js';
import { ConfirmDialog, Empty, ErrorBox, Field, Pager, QueryView } from '../ui.js';

const SORTS = ['created_at', 'price', 'rating', 'downloads', 'calls_30d'] as const;

export function ToolsScreen() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { t, locale } = useI18n();
  const [tab, setTab] = useState<'browse' | 'owned'>('browse');
  const [search, setSearch] = useState('');
  const [category, setCategory] = useState('');
  const [sort, setSort] = useState<(typeof SORTS)[number]>('created_at');
  const [page, setPage] = useState(1);
  const [bought, setBought] = useState<{ name: string; balance: number | null } | null>(null);
  const [confirm, setConfirm] = useState<{ id: string; name: string; price: number } | null>(null);
  const wallet = useQuery(trpc.billing.wallet.queryOptions());
  const validCategory = /^[a-z0-9][a-z0-9-]{0,31}$/.test(category.trim().toLowerCase()) ? category.trim().toLowerCase() : undefined;
  const tools = useQuery({
    ...trpc.tools.list.queryOptions({ search: search.trim() || undefined, category: validCategory, sort, page, limit: 20 }),
    placeholderData: keepPreviousData,
  });
  const owned = useQuery(trpc.tools.owned.queryOptions({ limit: 100 }));
  const ownedIds = new Set(owned.data?.data.map((tool) => tool.id) ?? []);
  const purchase = useMutation(
    trpc.tools.purchase.mutationOptions({
      onSuccess: async (_order, input) => {
        const name = tools.data?.data.find((tool) => tool.id === input.tool_id)?.name ?? input.tool_id;
        setConfirm(null);
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.tools.pathKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.billing.pathKey() }),
        ]);
        const after = await queryClient.fetchQuery(trpc.billing.wallet.queryOptions()).catch(() => null);
        setBought({ name, balance: after?.available ?? null });
      },
    }),
  );

  return (
    <section>
      <h1>{t('tools.title')}</h1>
      <div className="tabs" role="tablist">
        <button type="button" role="tab" aria-selected={tab === 'browse'} onClick={() => setTab('browse')}>
          {t('tools.browse')}
        </button>
        <button type="button" role="tab" aria-selected={tab === 'owned'} onClick={() => setTab('owned')}>
          {t('tools.owned')} {owned.data ? `(${owned.data.pagination.total})` : ''}
        </button>
      </div>
      {bought && (
        <p className="notice" role="status">
          {t('tools.bought', { name: bought.name })}{' '}
          {bought.balance !== null && (
            <span data-testid="balance-after">{t('tools.balanceAfter', { balance: formatMoney(bought.balance, locale) })}</span>
          )}
        </p>
      )}
      {confirm && (
        <ConfirmDialog
          title={t('tools.confirmTitle')}
          confirmLabel={t('tools.confirmBuy')}
          pending={purchase.isPending}
          onCancel={() => (setConfirm(null), purchase.reset())}
          onConfirm={() => purchase.mutate({ tool_id: confirm.id, payment_method: 'balance' })}
        >
          <p>{t('tools.confirmText', { name: confirm.name, price: formatMoney(confirm.price, locale) })}</p>
          {wallet.data && <p className="muted">{t('tools.balanceNow', { balance: formatMoney(wallet.data.available, locale) })}</p>}
          {purchase.error && <ErrorBox error={purchase.error} />}
        </ConfirmDialog>
      )}
      {tab === 'browse' ? (
        <>
          <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
            <Field label={t('common.search')}>
              <input type="search" value={search} onChange={(e) => (setSearch(e.target.value), setPage(1))} />
            </Field>
            <Field label={t('common.category')}>
              <input value={category} onChange={(e) => (setCategory(e.target.value), setPage(1))} placeholder="development" />
            </Field>
            <Field label={t('common.sort')}>
              <select value={sort} onChange={(e) => setSort(e.target.value as typeof sort)}>
                {SORTS.map((s) => (
                  <option key={s} value={s}>
                    {t(`tools.sort.${s}` as MessageKey)}
                  </option>
                ))}
              </select>
            </Field>
          </form>
          <QueryView query={tools}>
            {(list) =>
              list.data.length === 0 ? (
                <Empty />
              ) : (
                <>
                  <div className="grid">
                    {list.data.map((tool) => (
                      <article key={tool.id} className="card" data-testid="tool-card">
                        <h3>{tool.name}</h3>
                        <p className="muted">
                          <span className="badge">{enumLabel(t, 'toolCategory', tool.category)}</span> {t('tools.author')}:{' '}
                          {tool.author.username}
                        </p>
                        <p>{tool.description}</p>
                        <p className="muted">
                          {t('tools.rating')}: {tool.rating} · {t('tools.downloads')}: {formatNumber(tool.downloads, locale)}
                        </p>
                        <div className="row between">
                          <strong>{tool.price === 0 ? t('tools.free') : formatMoney(tool.price, locale)}</strong>
                          {ownedIds.has(tool.id) ? (
                            <span className="badge running">{t('tools.owned.badge')}</span>
                          ) : (
                            <button
                              type="button"
                              className="primary"
                              disabled={purchase.isPending}
                              onClick={() => (
                                purchase.reset(),
                                setBought(null),
                                setConfirm({ id: tool.id, name: tool.name, price: tool.price })
                              )}
                            >
                              {t('tools.buy')}
                            </button>
                          )}
                        </div>
                      </article>
                    ))}
                  </div>
                  <Pager page={list.pagination.page} pages={list.pagination.pages} onPage={setPage} />
                </>
              )
            }
          </QueryView>
        </>
      ) : (
        <QueryView query={owned}>
          {(list) =>
            list.data.length === 0 ? (
              <Empty />
            ) : (
              <ul className="list" data-testid="owned-tools">
                {list.data.map((tool) => (
                  <li key={tool.id} className="card">
                    <h3>{tool.name}</h3>
                    <p className="muted">
                      {formatMoney(tool.price, locale)} · {formatDateTime(tool.acquired_at, locale)}
                    </p>
                  </li>
                ))}
              </ul>
            )
          }
        </QueryView>
      )}
    </section>
  );
}
