import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { apiJson, useTRPC } from '../client.js';
import { ENUMS, enumLabel } from '../enums.js';
import { formatDateTime, formatMoney } from '../format.js';
import { useI18n } from '../locale.js';
import { ErrorBox, Field } from '../ui.js';

export interface TopUp {
  id: string;
  amount: number;
  currency: string;
  provider: (typeof ENUMS.topUpProvider)[number];
  status: (typeof ENUMS.topUpStatus)[number];
  checkout_url: string | null;
  reference: string | null;
  created_at: string;
  completed_at: string | null;
}

/** Money in: a top-up (the sandbox completes at once; Stripe goes to its checkout page) or a redemption code. */
/** POST /wallet/redeem's answer. */
interface Redemption {
  id: string;
  amount: number;
  currency: string;
  transaction_id: string;
  balance_after: number;
  redeemed_at: string;
}

export function WalletTopUp() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { t, locale } = useI18n();
  const [amount, setAmount] = useState('10');
  const [provider, setProvider] = useState<TopUp['provider']>('sandbox');
  const [code, setCode] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const topUps = useQuery({
    queryKey: ['rest', 'wallet', 'top-ups'],
    queryFn: () => apiJson<{ data: TopUp[] }>('/wallet/top-ups'),
    retry: false,
  });
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.billing.pathKey() }),
      queryClient.invalidateQueries({ queryKey: ['rest', 'wallet'] }),
    ]);
  const topUp = useMutation({
    mutationFn: () => apiJson<TopUp>('/wallet/top-ups', { method: 'POST', body: { amount: amount.trim(), provider } }),
    onSuccess: async (result) => {
      // Stripe: pay on its checkout page, which comes back here; the webhook credits the wallet.
      if (result.provider === 'stripe' && result.checkout_url && result.status !== 'completed') {
        location.assign(result.checkout_url);
        return;
      }
      setNotice(t('topUp.done', { amount: formatMoney(result.amount, locale, result.currency) }));
      await refresh();
    },
  });
  const redeem = useMutation({
    mutationFn: () => apiJson<Redemption>('/wallet/redeem', { method: 'POST', body: { code: code.trim() } }),
    onSuccess: async (result) => {
      setCode('');
      setNotice(t('topUp.redeemed', { amount: formatMoney(result.amount, locale, result.currency) }));
      await refresh();
    },
  });
  if (topUps.isPending) return null;

  const submitTopUp = (event: FormEvent) => {
    event.preventDefault();
    setNotice(null);
    topUp.mutate();
  };
  const submitRedeem = (event: FormEvent) => {
    event.preventDefault();
    setNotice(null);
    redeem.mutate();
  };
  return (
    <div className="cards-2">
      <form className="card form" onSubmit={submitTopUp} aria-label={t('topUp.title')}>
        <h2>{t('topUp.title')}</h2>
        <Field label={t('wallet.amount')}>
          <input name="amount" inputMode="decimal" required value={amount} onChange={(e) => setAmount(e.target.value)} />
        </Field>
        <Field label={t('topUp.provider')}>
          <select name="provider" value={provider} onChange={(e) => setProvider(e.target.value as TopUp['provider'])}>
            {ENUMS.topUpProvider.map((p) => (
              <option key={p} value={p}>
                {enumLabel(t, 'topUpProvider', p)}
              </option>
            ))}
          </select>
        </Field>
        {topUp.error && <ErrorBox error={topUp.error} />}
        <button type="submit" className="primary" disabled={topUp.isPending}>
          {topUp.isPending ? t('common.saving') : t('topUp.submit')}
        </button>
      </form>
      <form className="card form" onSubmit={submitRedeem} aria-label={t('topUp.redeemTitle')}>
        <h2>{t('topUp.redeemTitle')}</h2>
        <Field label={t('topUp.code')}>
          <input name="code" required autoComplete="off" value={code} onChange={(e) => setCode(e.target.value)} />
        </Field>
        {redeem.error && <ErrorBox error={redeem.error} />}
        <button type="submit" className="primary" disabled={redeem.isPending}>
          {redeem.isPending ? t('common.saving') : t('topUp.redeem')}
        </button>
      </form>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {topUps.data && topUps.data.data.length > 0 && (
        <div className="table-wrap wide-cell">
          <table data-testid="top-ups">
            <thead>
              <tr>
                <th>{t('common.created')}</th>
                <th>{t('topUp.provider')}</th>
                <th>{t('common.status')}</th>
                <th className="num">{t('wallet.amount')}</th>
                <th>{t('topUp.reference')}</th>
              </tr>
            </thead>
            <tbody>
              {topUps.data.data.map((row) => (
                <tr key={row.id}>
                  <td>{formatDateTime(row.created_at, locale)}</td>
                  <td>{enumLabel(t, 'topUpProvider', row.provider)}</td>
                  <td>{enumLabel(t, 'topUpStatus', row.status)}</td>
                  <td className="num">{formatMoney(row.amount, locale, row.currency)}</td>
                  <td>
                    <code>{row.reference ?? row.id}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
