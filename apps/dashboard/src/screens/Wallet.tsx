import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '../client.js';
import { formatDateTime, formatMoney } from '../format.js';
import { enumLabel } from '../enums.js';
import { useI18n } from '../locale.js';
import { Empty, Pager, QueryView } from '../ui.js';
import { WalletTopUp } from './WalletTopUp.js';

export function WalletScreen() {
  const trpc = useTRPC();
  const { t, locale } = useI18n();
  const [page, setPage] = useState(1);
  const wallet = useQuery(trpc.billing.wallet.queryOptions());
  const transactions = useQuery({ ...trpc.billing.transactions.queryOptions({ page, limit: 20 }), placeholderData: keepPreviousData });

  return (
    <section>
      <h1>{t('wallet.title')}</h1>
      <QueryView query={wallet}>
        {(w) => (
          <div className="stats" data-testid="wallet">
            <div className="stat">
              <span>{t('wallet.balance')}</span>
              <strong>{formatMoney(w.balance, locale, w.currency)}</strong>
            </div>
            <div className="stat">
              <span>{t('wallet.held')}</span>
              <strong>{formatMoney(w.held, locale, w.currency)}</strong>
            </div>
            <div className="stat">
              <span>{t('wallet.available')}</span>
              <strong>{formatMoney(w.available, locale, w.currency)}</strong>
            </div>
          </div>
        )}
      </QueryView>
      <WalletTopUp />
      <h2>{t('wallet.transactions')}</h2>
      <QueryView query={transactions}>
        {(list) =>
          list.data.length === 0 ? (
            <Empty />
          ) : (
            <>
              <div className="table-wrap">
                <table data-testid="ledger">
                  <thead>
                    <tr>
                      <th>{t('common.created')}</th>
                      <th>{t('wallet.kind')}</th>
                      <th className="num">{t('wallet.amount')}</th>
                      <th className="num">{t('wallet.balanceAfter')}</th>
                      <th>{t('wallet.reason')}</th>
                      <th>{t('topUp.reference')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.data.map((tx) => (
                      <tr key={tx.id}>
                        <td>{formatDateTime(tx.created_at, locale)}</td>
                        <td>{enumLabel(t, 'ledgerKind', tx.kind)}</td>
                        <td className={`num ${tx.amount < 0 ? 'neg' : 'pos'}`}>{formatMoney(tx.amount, locale)}</td>
                        <td className="num">{formatMoney(tx.balance_after, locale)}</td>
                        <td>{tx.reason ?? ''}</td>
                        <td>{tx.reference_id && <code>{tx.reference_id}</code>}</td>
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
