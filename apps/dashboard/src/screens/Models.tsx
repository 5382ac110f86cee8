import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '../client.js';
import { formatDateTime, formatNumber } from '../format.js';
import type { MessageKey } from '../i18n.js';
import { enumLabel } from '../enums.js';
import { useI18n } from '../locale.js';
import { Empty, Field, Pager, QueryView } from '../ui.js';
import { EditModelButton, NewModelButton } from './ModelActions.js';
import { ModelDetails } from './ModelDeployment.js';

const CATEGORIES = ['text', 'image', 'audio', 'video'] as const;
const SORTS = ['created_at', 'name', 'popularity'] as const;

export function ModelsScreen() {
  const trpc = useTRPC();
  const { t, locale } = useI18n();
  const [category, setCategory] = useState<(typeof CATEGORIES)[number] | ''>('');
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState<(typeof SORTS)[number]>('created_at');
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<string | null>(null);
  const models = useQuery({
    ...trpc.models.list.queryOptions({ category: category || undefined, search: search.trim() || undefined, sort, page, limit: 20 }),
    placeholderData: keepPreviousData,
  });

  return (
    <section>
      <div className="row between">
        <h1>{t('models.title')}</h1>
        <NewModelButton />
      </div>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <Field label={t('common.search')}>
          <input type="search" value={search} onChange={(e) => (setSearch(e.target.value), setPage(1))} />
        </Field>
        <Field label={t('common.category')}>
          <select value={category} onChange={(e) => (setCategory(e.target.value as typeof category), setPage(1))}>
            <option value="">{t('common.all')}</option>
            {CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {enumLabel(t, 'modelCategory', c)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('common.sort')}>
          <select value={sort} onChange={(e) => setSort(e.target.value as typeof sort)}>
            {SORTS.map((s) => (
              <option key={s} value={s}>
                {t(`models.sort.${s}` as MessageKey)}
              </option>
            ))}
          </select>
        </Field>
      </form>
      <QueryView query={models}>
        {(list) =>
          list.data.length === 0 ? (
            <Empty />
          ) : (
            <>
              <div className="grid">
                {list.data.map((m) => (
                  <article key={m.id} className="card model">
                    <div className="row between">
                      <h3>{m.name}</h3>
                      <EditModelButton modelId={m.id} />
                    </div>
                    <p className="muted">
                      <span className="badge">{enumLabel(t, 'modelCategory', m.category)}</span> {t('models.version')} {m.version} ·{' '}
                      {enumLabel(t, 'modelStatus', m.status)}
                    </p>
                    <p>{m.description}</p>
                    <p className="muted">
                      {t('models.popularity')}: {formatNumber(m.popularity, locale)} · {formatDateTime(m.created_at, locale)}
                    </p>
                    <button
                      type="button"
                      className="link"
                      aria-expanded={open === m.id}
                      onClick={() => setOpen(open === m.id ? null : m.id)}
                    >
                      {open === m.id ? t('models.hideDetails') : t('models.details')}
                    </button>
                    {open === m.id && <ModelDetails modelId={m.id} />}
                  </article>
                ))}
              </div>
              <Pager page={list.pagination.page} pages={list.pagination.pages} onPage={setPage} />
            </>
          )
        }
      </QueryView>
    </section>
  );
}
