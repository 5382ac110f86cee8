import type { Locale } from '../i18n.js';

/** The font of the charts' tick labels (every axis gets `tick={{ fontSize: TICK_FONT_SIZE }}`). */
export const TICK_FONT_SIZE = 12;
export const TICK_FONT = `${TICK_FONT_SIZE}px system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", sans-serif`;

let measure: CanvasRenderingContext2D | null | undefined;

/** A label's width in pixels at the tick font: measured by a canvas in the browser, estimated elsewhere. */
function labelWidth(label: string): number {
  if (measure === undefined) {
    measure = typeof document === 'undefined' ? null : document.createElement('canvas').getContext('2d');
    if (measure) measure.font = TICK_FONT;
  }
  return measure ? measure.measureText(label).width : [...label].length * 7;
}

/** Pixels an axis needs for its longest tick label, plus the tick line and a margin. */
export function axisWidth(labels: string[]): number {
  const longest = labels.reduce((max, label) => Math.max(max, labelWidth(label)), 7);
  return Math.min(180, Math.max(36, Math.ceil(longest) + 16));
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
