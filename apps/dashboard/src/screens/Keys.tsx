import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '../client.js';
import { formatDateTime, formatMoney } from '../format.js';
import { enumLabel } from '../enums.js';
import { useI18n } from '../locale.js';
import { Empty, ErrorBox, Field, Pager, QueryView } from '../ui.js';

export function KeysScreen() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { t, locale } = useI18n();
  const [page, setPage] = useState(1);
  const [name, setName] = useState('');
  const [spendCap, setSpendCap] = useState('');
  const [createdKey, setCreatedKey] = useState<string | null>(null);
  const keys = useQuery({ ...trpc.apiKeys.list.queryOptions({ page, limit: 20 }), placeholderData: keepPreviousData });
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.pathKey() });
  const create = useMutation(
    trpc.apiKeys.create.mutationOptions({
      onSuccess: async (key) => {
        setCreatedKey(key.key);
        setName('');
        setSpendCap('');
        await invalidate();
      },
    }),
  );
  const revoke = useMutation(trpc.apiKeys.revoke.mutationOptions({ onSuccess: invalidate }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ name, ...(spendCap.trim() ? { spend_cap: spendCap.trim() } : {}) });
  };

  return (
    <section>
      <h1>{t('keys.title')}</h1>
      <form className="card form inline" onSubmit={submit} aria-label={t('keys.new')}>
        <Field label={t('common.name')}>
          <input name="key_name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label={`${t('keys.spent')} ≤`}>
          <input name="spend_cap" inputMode="decimal" value={spendCap} onChange={(e) => setSpendCap(e.target.value)} placeholder="∞" />
        </Field>
        <button type="submit" className="primary" disabled={create.isPending}>
          {t('keys.new')}
        </button>
      </form>
      {create.error && <ErrorBox error={create.error} />}
      {createdKey && (
        <div className="notice" role="status">
          <p>{t('keys.created')}</p>
          <code data-testid="created-key">{createdKey}</code>
          <button type="button" className="link" onClick={() => setCreatedKey(null)}>
            ✕
          </button>
        </div>
      )}
      {revoke.error && <ErrorBox error={revoke.error} />}
      <QueryView query={keys}>
        {(list) =>
          list.data.length === 0 ? (
            <Empty />
          ) : (
            <>
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th>{t('common.name')}</th>
                      <th>{t('keys.prefix')}</th>
                      <th>{t('common.status')}</th>
                      <th>{t('keys.spent')}</th>
                      <th>{t('keys.lastUsed')}</th>
                      <th>{t('common.created')}</th>
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    {list.data.map((key) => (
                      <tr key={key.id}>
                        <td>{key.name}</td>
                        <td>
                          <code>{key.prefix}</code>
                        </td>
                        <td>{enumLabel(t, 'keyStatus', key.status)}</td>
                        <td>
                          {formatMoney(key.spent, locale)}
                          {key.spend_cap !== null && ` / ${formatMoney(key.spend_cap, locale)}`}
                        </td>
                        <td>{key.last_used_at ? formatDateTime(key.last_used_at, locale) : t('keys.never')}</td>
                        <td>{formatDateTime(key.created_at, locale)}</td>
                        <td>
                          <button
                            type="button"
                            className="danger"
                            disabled={revoke.isPending}
                            onClick={() => {
                              if (confirm(t('keys.confirmRevoke'))) revoke.mutate({ key_id: key.id });
                            }}
                          >
                            {t('keys.revoke')}
                          </button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pager page={list.pagination.page} pages={list.pagination.pages} onPage={setPage} />
            </>
          )
        }
      </QueryView>
    </section>
  );
}
