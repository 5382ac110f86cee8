import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { apiJson } from '../client.js';
import { formatMoney } from '../format.js';
import { useI18n } from '../locale.js';
import { ErrorBox, Field } from '../ui.js';

/** POST /admin/redemption-codes's answer: the plain codes are in it, and only there. */
interface MintedCodes {
  id: string;
  count: number;
  amount: number;
  currency: string;
  codes: string[];
}

/** Admins mint a batch of redemption codes; the codes are shown once, here. */
export function AdminCodes() {
  const { t, locale } = useI18n();
  const [count, setCount] = useState('5');
  const [amount, setAmount] = useState('10');
  const [expires, setExpires] = useState('');
  const [note, setNote] = useState('');
  const mint = useMutation({
    mutationFn: () =>
      apiJson<MintedCodes>('/admin/redemption-codes', {
        method: 'POST',
        body: {
          count: Number(count),
          amount: amount.trim(),
          ...(expires ? { expires_at: new Date(expires).toISOString() } : {}),
          ...(note.trim() ? { note: note.trim() } : {}),
        },
      }),
  });
  const codes = mint.data?.codes ?? [];
  const submit = (event: FormEvent) => {
    event.preventDefault();
    mint.mutate();
  };
  return (
    <form className="card form" onSubmit={submit} aria-label={t('codes.title')}>
      <h2>{t('codes.title')}</h2>
      <div className="form-grid">
        <Field label={t('codes.count')}>
          <input name="count" type="number" min={1} max={1000} required value={count} onChange={(e) => setCount(e.target.value)} />
        </Field>
        <Field label={t('wallet.amount')}>
          <input name="amount" inputMode="decimal" required value={amount} onChange={(e) => setAmount(e.target.value)} />
        </Field>
        <Field label={t('codes.expires')}>
          <input name="expires_at" type="datetime-local" value={expires} onChange={(e) => setExpires(e.target.value)} />
        </Field>
        <Field label={t('codes.note')}>
          <input name="note" maxLength={200} value={note} onChange={(e) => setNote(e.target.value)} />
        </Field>
      </div>
      {mint.error && <ErrorBox error={mint.error} />}
      <button type="submit" className="primary" disabled={mint.isPending}>
        {mint.isPending ? t('common.saving') : t('codes.mint')}
      </button>
      {codes.length > 0 && (
        <div className="notice" role="status">
          <p>{t('codes.once', { count: codes.length, amount: formatMoney(mint.data?.amount ?? 0, locale, mint.data?.currency) })}</p>
          <pre data-testid="minted-codes">{codes.join('\n')}</pre>
        </div>
      )}
    </form>
  );
}
