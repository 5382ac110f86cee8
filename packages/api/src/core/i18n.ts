import type { $ZodIssue } from 'zod/v4/core';
import { en as zodEn, zhCN as zodZhCN } from 'zod/v4/locales';
import type { LocalizedMessage, MessageCatalog } from './message-catalog.js';
import { commonMessages } from './messages.js';

export type Locale = 'zh-CN' | 'en';

type CommonMessages = typeof commonMessages;
/**
 * Every message key there is. core/ knows its own; src/messages.ts, which composes the domains'
 * catalogs, adds theirs to this interface (`declare module`), so a key no catalog has is a compile
 * error wherever it is used, without core importing any domain.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface, not a type alias: other modules extend it by declaration merging
export interface MessageRegistry extends CommonMessages {}
export type MessageKey = Extract<keyof MessageRegistry, string>;

export const DEFAULT_LOCALE: Locale = 'zh-CN';

// The full catalog (src/messages.ts), handed over when a platform is assembled. Until then only
// core's own messages are known; the catalog is constant text, the same for every platform.
let catalog: MessageCatalog = commonMessages;

/** Installs the composed catalog of every domain (create-platform.ts does, at assembly). */
export function installMessageCatalog(messages: { [K in MessageKey]: LocalizedMessage }): void {
  catalog = messages;
}

/** Picks zh-CN or en from an Accept-Language header by q-weight; anything else falls back to zh-CN. */
export function negotiateLocale(acceptLanguage: string | undefined): Locale {
  if (!acceptLanguage) return DEFAULT_LOCALE;
  let best: { locale: Locale; q: number } | undefined;
  for (const part of acceptLanguage.split(',')) {
    const [tag = '', ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.find((p) => p.trim().startsWith('q='));
    const q = qParam ? Number(qParam.trim().slice(2)) : 1;
    if (!Number.isFinite(q) || q <= 0) continue;
    const locale: Locale | undefined = tag.startsWith('zh') ? 'zh-CN' : tag.startsWith('en') ? 'en' : undefined;
    if (locale && (!best || q > best.q)) best = { locale, q };
  }
  return best?.locale ?? DEFAULT_LOCALE;
}

export function translate(locale: Locale, key: MessageKey, params?: Record<string, string | number>): string {
  // A key missing at run time (no catalog installed yet) shows itself rather than crash an error path.
  const template = catalog[key]?.[locale] ?? key;
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

const zodLocales = { 'zh-CN': zodZhCN(), en: zodEn() };

/** Re-words a zod issue in the caller's language; zod keeps the issue's code and bounds for this. */
export function localizeZodIssue(locale: Locale, issue: $ZodIssue): string {
  try {
    const localized = zodLocales[locale].localeError(issue as never);
    if (typeof localized === 'string') return localized;
    if (localized && typeof localized === 'object' && 'message' in localized) return String(localized.message);
  } catch {
    // Fall through to zod's own message.
  }
  return issue.message;
}
