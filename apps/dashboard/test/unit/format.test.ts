import { describe, expect, it } from 'vitest';
import { breakdownBy, formatDateTime, formatMoney } from '../../src/format.js';
import { parseHash } from '../../src/router.js';
import { axisWidth, formatDay, moneyTicks, shorten } from '../../src/screens/axes.js';

describe('formatMoney', () => {
  it('shows two decimals for ordinary amounts', () => {
    expect(formatMoney(9.99, 'en')).toBe('CN¥9.99');
    expect(formatMoney(10, 'zh-CN')).toBe('¥10.00');
  });

  it('keeps tiny per-call costs visible instead of rounding them to zero', () => {
    expect(formatMoney(0.000123, 'en')).toBe('CN¥0.000123');
    expect(formatMoney(0, 'en')).toBe('CN¥0.00');
  });

  it('formats negative amounts (money out)', () => {
    expect(formatMoney(-9.99, 'en')).toBe('-CN¥9.99');
  });
});

describe('formatDateTime', () => {
  it('shows a dash for missing timestamps and the raw text for invalid ones', () => {
    expect(formatDateTime(null, 'en')).toBe('—');
    expect(formatDateTime('not a date', 'en')).toBe('not a date');
    expect(formatDateTime('2024-01-15T10:00:00.000Z', 'en')).toMatch(/2024/);
  });
});

describe('breakdownBy', () => {
  const records = [
    { model_id: 'model_a', app_id: 'app_1', cost: 0.1, input_tokens: 10, output_tokens: 5 },
    { model_id: 'model_a', app_id: null, cost: 0.2, input_tokens: 1, output_tokens: 1 },
    { model_id: 'model_b', app_id: 'app_1', cost: 0.000000001, input_tokens: 3, output_tokens: 4 },
  ];

  it('sums calls, cost and tokens per model, largest cost first, without float drift', () => {
    expect(breakdownBy(records, 'model_id')).toEqual([
      { key: 'model_a', calls: 2, cost: 0.3, tokens: 17 },
      { key: 'model_b', calls: 1, cost: 0.000000001, tokens: 7 },
    ]);
  });

  it('groups records without an application under the none key', () => {
    const byApp = breakdownBy(records, 'app_id', 'none');
    expect(byApp.map((b) => [b.key, b.calls])).toEqual([
      ['none', 1],
      ['app_1', 2],
    ]);
  });

  it('is empty for no records', () => {
    expect(breakdownBy([], 'model_id')).toEqual([]);
  });
});

describe('parseHash', () => {
  it('reads the screen and its parameter, defaulting to the overview', () => {
    expect(parseHash('#/apps/app_abc')).toEqual({ route: 'apps', param: 'app_abc' });
    expect(parseHash('#/tools')).toEqual({ route: 'tools', param: null });
    expect(parseHash('')).toEqual({ route: 'overview', param: null });
    expect(parseHash('#/nope')).toEqual({ route: 'overview', param: null });
  });
});

describe('chart axes', () => {
  it('sizes an axis to its longest tick label, within bounds', () => {
    expect(axisWidth(['1', '22'])).toBe(36);
    expect(axisWidth(['CN¥0.000123'])).toBe(11 * 7 + 16);
    expect(axisWidth(['x'.repeat(100)])).toBe(180);
  });

  it('considers the fractions of the maximum a money axis shows', () => {
    const ticks = moneyTicks([0.0003, 0.0001], (v) => formatMoney(v, 'en'));
    expect(ticks[0]).toBe('CN¥0.0003');
    expect(Math.max(...ticks.map((t) => t.length))).toBeGreaterThan('CN¥0.0003'.length);
  });

  it('shortens long labels and formats short dates', () => {
    expect(shorten('demo-chat', 14)).toBe('demo-chat');
    expect(shorten('a-very-long-model-name', 10)).toBe('a-very-lo…');
    expect(formatDay('2026-12-06', 'en')).toBe('12/6');
    expect(formatDay('2026-12-06', 'zh-CN')).toBe('12/6');
    expect(formatDay('garbage', 'en')).toBe('garbage');
  });
});
