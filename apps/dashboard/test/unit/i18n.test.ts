import { describe, expect, it } from 'vitest';
import { dictionaries, en, isLocale, LOCALES, translate, zhCN } from '../../src/i18n.js';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('i18n dictionary', () => {
  it('has a non-empty translation for every key in every locale', () => {
    const keys = Object.keys(en);
    for (const locale of LOCALES) {
      const dictionary = dictionaries[locale];
      expect(Object.keys(dictionary).sort()).toEqual([...keys].sort());
      for (const key of keys) expect(dictionary[key as keyof typeof en].trim(), `${locale} ${key}`).not.toBe('');
    }
  });

  it('uses the same placeholders in zh-CN and en', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholders(zhCN[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it('actually translates: zh-CN differs from en for user-visible words', () => {
    expect(translate('zh-CN', 'auth.login')).toBe('登录');
    expect(translate('en', 'auth.login')).toBe('Sign in');
  });

  it('fills placeholders and leaves unknown ones as written', () => {
    expect(translate('en', 'common.page', { page: 2, pages: 5 })).toBe('Page 2 of 5');
    expect(translate('zh-CN', 'common.page', { page: 2 })).toBe('第 2 / {pages} 页');
  });

  it('recognises only the supported locales', () => {
    expect(isLocale('en')).toBe(true);
    expect(isLocale('zh-CN')).toBe(true);
    expect(isLocale('fr')).toBe(false);
    expect(isLocale(null)).toBe(false);
  });
});
