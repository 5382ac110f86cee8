import type { Locale } from '../i18n.js';

/** Pixels an axis needs for its longest tick label (about 7 px a character at the chart's 12 px font). */
export function axisWidth(labels: string[]): number {
  const longest = labels.reduce((max, label) => Math.max(max, [...label].length), 1);
  return Math.min(160, Math.max(36, longest * 7 + 14));
}

/** The tick labels a money axis may show: its maximum and the fractions of it that need more decimals. */
export function moneyTicks(values: number[], format: (value: number) => string): string[] {
  const max = Math.max(0, ...values);
  return [max, max / 2, max / 3, max / 4, max * 0.75].map((v) => format(v));
}

/** A long category label cut to fit under its bar (the tooltip shows it whole). */
export function shorten(label: string, max: number): string {
  const chars = [...label];
  return chars.length <= max ? label : `${chars.slice(0, max - 1).join('')}…`;
}

/** `2026-12-06` → `12/6` (en) or `12月6日` (zh): a short date fits under a narrow chart. */
export function formatDay(date: string, locale: Locale): string {
  const parsed = new Date(`${date.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime())) return date;
  return new Intl.DateTimeFormat(locale, { month: 'numeric', day: 'numeric', timeZone: 'UTC' }).format(parsed);
}
