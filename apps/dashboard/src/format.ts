import type { Locale } from './i18n.js';

/** Money in currency units (the API's JSON numbers); up to 6 decimals so tiny per-call costs stay visible. */
export function formatMoney(amount: number, locale: Locale, currency = 'CNY'): string {
  const abs = Math.abs(amount);
  const digits = abs !== 0 && abs < 0.01 ? 6 : 2;
  return new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: digits }).format(
    amount,
  );
}

export function formatNumber(value: number, locale: Locale): string {
  return new Intl.NumberFormat(locale).format(value);
}

export function formatDateTime(iso: string | null | undefined, locale: Locale): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

export interface UsageLike {
  model_id: string;
  app_id: string | null;
  cost: number;
  input_tokens: number;
  output_tokens: number;
}

export interface Breakdown {
  key: string;
  calls: number;
  cost: number;
  tokens: number;
}

/**
 * Sums usage records per model or per application (the usage report only has daily totals),
 * largest cost first. Costs are summed in nano-units so float error does not accumulate.
 */
export function breakdownBy(records: readonly UsageLike[], field: 'model_id' | 'app_id', noneKey = '—'): Breakdown[] {
  const groups = new Map<string, { calls: number; nano: number; tokens: number }>();
  for (const record of records) {
    const key = record[field] ?? noneKey;
    const group = groups.get(key) ?? { calls: 0, nano: 0, tokens: 0 };
    group.calls += 1;
    group.nano += Math.round(record.cost * 1e9);
    group.tokens += record.input_tokens + record.output_tokens;
    groups.set(key, group);
  }
  return [...groups.entries()]
    .map(([key, g]) => ({ key, calls: g.calls, cost: g.nano / 1e9, tokens: g.tokens }))
    .sort((a, b) => b.cost - a.cost || b.calls - a.calls || a.key.localeCompare(b.key));
}
