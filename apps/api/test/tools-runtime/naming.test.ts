// The names tools are offered under (issue 16 part 4): `t_<slug>__<function>`, at most 64
// characters of [A-Za-z0-9_-], unique among those already taken.
import { describe, expect, it } from 'vitest';
import { exposedToolName } from '@maas/api/testing';

const VALID = /^[A-Za-z0-9_-]{1,64}$/;

describe('exposedToolName', () => {
  it('slugs the tool name and keeps the function name', () => {
    expect(exposedToolName('Pocket Calculator!', 'add', new Set())).toBe('t_pocket_calculator__add');
    expect(exposedToolName('Wörterbuch — 辞典', 'lookUp', new Set())).toBe('t_worterbuch__lookUp');
    expect(exposedToolName('!!!', 'x.y', new Set())).toBe('t_tool__x_y');
  });

  it('stays within 64 characters, however long the names', () => {
    const taken = new Set<string>();
    const long = exposedToolName('a'.repeat(100), 'f'.repeat(100), taken);
    expect(long).toMatch(VALID);
    expect(long.startsWith('t_aaaaaaaa__')).toBe(true);
    expect(exposedToolName('b'.repeat(100), 'search', taken)).toBe(`t_${'b'.repeat(54)}__search`);
  });

  it('makes clashing names unique, in the order they are asked for', () => {
    const taken = new Set<string>();
    const names = [
      exposedToolName('Weather', 'now', taken),
      exposedToolName('weather', 'now', taken),
      exposedToolName('WEATHER!', 'now', taken),
      exposedToolName('x'.repeat(80), 'now', taken),
      exposedToolName('x'.repeat(81), 'now', taken),
    ];
    expect(names.slice(0, 3)).toEqual(['t_weather__now', 't_weather__now_2', 't_weather__now_3']);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(VALID);
    expect(taken.size).toBe(names.length);
  });
});
