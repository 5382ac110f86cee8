import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '../client.js';
import { formatDateTime, formatMoney } from '../format.js';
import { ENUMS, enumLabel } from '../enums.js';
import { useI18n } from '../locale.js';
import { Empty, ErrorBox, Field, Pager, QueryView } from '../ui.js';
import { AdminCodes } from './AdminCodes.js';

const ROLES = ['user', 'developer', 'admin'] as const;

export function AdminScreen() {
  const { t } = useI18n();
  return (
    <section>
      <h1>{t('admin.title')}</h1>
      <Users />
      <TopUp />
      <AdminCodes />
      <Models />
      <Audit />
    </section>
  );
}

function Users() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { t, locale } = useI18n();
  const [page, setPage] = useState(1);
  const [search, setSearch] = useState('');
  const users = useQuery({
    ...trpc.adminUsers.list.queryOptions({ page, limit: 20, search: search.trim() || undefined }),
    placeholderData: keepPreviousData,
  });
  const update = useMutation(
    trpc.adminUsers.update.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.adminUsers.list.pathKey() }),
    }),
  );
  return (
    <>
      <h2>{t('admin.users')}</h2>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <Field label={t('common.search')}>
          <input type="search" value={search} onChange={(e) => (setSearch(e.target.value), setPage(1))} />
        </Field>
      </form>
      {update.error && <ErrorBox error={update.error} />}
      <QueryView query={users}>
        {(list) =>
          list.data.length === 0 ? (
            <Empty />
          ) : (
            <>
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th>{t('auth.username')}</th>
                      <th>{t('auth.email')}</th>
                      <th>{t('admin.userId')}</th>
                      <th>{t('admin.role')}</th>
                      <th>{t('admin.disabled')}</th>
                      <th>{t('common.created')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.data.map((u) => (
                      <tr key={u.id}>
                        <td>{u.username}</td>
                        <td>{u.email}</td>
                        <td>
                          <code>{u.id}</code>
                        </td>
                        <td>
                          <select
                            aria-label={`${t('admin.role')} ${u.username}`}
                            value={u.role}
                            disabled={update.isPending}
                            onChange={(e) => update.mutate({ user_id: u.id, role: e.target.value as (typeof ROLES)[number] })}
                          >
                            {ROLES.map((r) => (
                              <option key={r} value={r}>
                                {enumLabel(t, 'role', r)}
                              </option>
                            ))}
                          </select>
                        </td>
                        <td>
                          <input
                            type="checkbox"
                            aria-label={`${t('admin.disabled')} ${u.username}`}
                            checked={u.disabled}
                            disabled={update.isPending}
                            onChange={(e) => update.mutate({ user_id: u.id, disabled: e.target.checked })}
                          />
                        </td>
                        <td>{formatDateTime(u.created_at, locale)}</td>
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
    </>
  );
}

function TopUp() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { t, locale } = useI18n();
  const [userId, setUserId] = useState('');
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const credit = useMutation(
    trpc.billing.adminCredit.mutationOptions({
      onSuccess: async (tx) => {
        setDone(t('admin.credited', { amount: formatMoney(tx.amount, locale), user: tx.user_id }));
        setAmount('');
        await queryClient.invalidateQueries({ queryKey: trpc.admin.auditLog.pathKey() });
      },
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setDone(null);
    credit.mutate({ user_id: userId.trim(), amount: amount.trim(), reason });
  };
  return (
    <>
      <h2>{t('admin.topUp')}</h2>
      <form className="card form inline" onSubmit={submit} aria-label={t('admin.topUp')}>
        <Field label={t('admin.userId')}>
          <input required value={userId} onChange={(e) => setUserId(e.target.value)} placeholder="user_…" />
        </Field>
        <Field label={t('wallet.amount')}>
          <input required inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} />
        </Field>
        <Field label={t('wallet.reason')}>
          <input required maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
        </Field>
        <button type="submit" className="primary" disabled={credit.isPending}>
          {t('common.save')}
        </button>
      </form>
      {credit.error && <ErrorBox error={credit.error} />}
      {done && (
        <p className="notice" role="status">
          {done}
        </p>
      )}
    </>
  );
}

function Models() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { t } = useI18n();
  const models = useQuery(trpc.models.list.queryOptions({ limit: 100, sort: 'name' }));
  const update = useMutation(
    trpc.models.update.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.models.list.pathKey() }) }),
  );
  return (
    <>
      <h2>{t('admin.models')}</h2>
      {update.error && <ErrorBox error={update.error} />}
      <QueryView query={models}>
        {(list) =>
          list.data.length === 0 ? (
            <Empty />
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>{t('common.name')}</th>
                    <th>{t('common.category')}</th>
                    <th>{t('common.status')}</th>
                    <th>{t('models.popularity')}</th>
                  </tr>
                </thead>
                <tbody>
                  {list.data.map((m) => (
                    <tr key={m.id}>
                      <td>{m.name}</td>
                      <td>{enumLabel(t, 'modelCategory', m.category)}</td>
                      <td>
                        <select
                          aria-label={`${t('common.status')} ${m.name}`}
                          value={m.status}
                          disabled={update.isPending}
                          onChange={(e) =>
                            update.mutate({ model_id: m.id, status: e.target.value as 'active' | 'inactive' | 'deprecated' })
                          }
                        >
                          {ENUMS.modelStatus.map((s) => (
                            <option key={s} value={s}>
                              {enumLabel(t, 'modelStatus', s)}
                            </option>
                          ))}
                        </select>
                      </td>
                      <td>{m.popularity}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryView>
    </>
  );
}

function Audit() {
  const trpc = useTRPC();
  const { t, locale } = useI18n();
  const [page, setPage] = useState(1);
  const audit = useQuery({ ...trpc.admin.auditLog.queryOptions({ page, limit: 20 }), placeholderData: keepPreviousData });
  return (
    <>
      <h2>{t('admin.audit')}</h2>
      <QueryView query={audit}>
        {(list) =>
          list.data.length === 0 ? (
            <Empty />
          ) : (
            <>
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th>{t('common.created')}</th>
                      <th>{t('admin.action')}</th>
                      <th>{t('admin.actor')}</th>
                      <th>{t('admin.target')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.data.map((entry) => (
                      <tr key={entry.id}>
                        <td>{formatDateTime(entry.created_at, locale)}</td>
                        <td>{enumLabel(t, 'auditAction', entry.action)}</td>
                        <td>
                          <code>{entry.actor_id ?? '—'}</code>
                        </td>
                        <td>
                          {entry.target_type ? enumLabel(t, 'auditTarget', entry.target_type) : ''} <code>{entry.target_id ?? ''}</code>
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
    </>
  );
}
