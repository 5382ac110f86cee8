import { isIP } from 'node:net';
import type { ProviderKind } from '@maas/db';
import { AppError } from '../core/errors.js';
import type { OutboundGuard } from '../core/outbound-guard.js';
import { isLocalName, isSpecialPurposeAddress } from '../core/special-addresses.js';
import { adapterFor } from '../inference/adapters/index.js';

export const DEMO_ECHO_BASE_URL = 'builtin://demo-echo';
const BUILTIN = 'builtin://';

/** Whether the kind answers inside the process (its only base URL is its builtin:// one). */
export function isBuiltinKind(kind: ProviderKind): boolean {
  return adapterFor(kind)?.defaultBaseUrl?.startsWith(BUILTIN) === true;
}

/**
 * Whether a host (a name or a literal address, brackets allowed) is refused without resolving it:
 * local names (`localhost`, `localhost.`, `*.local`, `*.internal`) and every special-purpose
 * address, in any of its IPv6 forms (core/special-addresses.ts).
 */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return isIP(host) ? isSpecialPurposeAddress(host) : isLocalName(host);
}

function invalid(message: 'PROVIDER_BASE_URL_INVALID' | 'PROVIDER_BASE_URL_PRIVATE' | 'PROVIDER_BASE_URL_UNRESOLVABLE'): AppError {
  return new AppError('INVALID_REQUEST', { message, details: { field: 'base_url' } });
}

/**
 * The base URL to store for a provider kind, normalised (no trailing slash), by the rules of the
 * kind's adapter: a kind answered in-process (demo-echo) only takes its `builtin://` URL; any other
 * needs an http(s) URL without credentials (the API key has its own, write-only field), and may
 * default to the adapter's public endpoint (e.g. https://api.anthropic.com).
 */
export function normalizeBaseUrl(raw: string | undefined, kind: ProviderKind, allowPrivate: boolean): string {
  const adapter = adapterFor(kind);
  const fallback = adapter?.defaultBaseUrl;
  if (fallback?.startsWith(BUILTIN)) {
    if (raw === undefined || raw.replace(/\/+$/, '') === fallback) return fallback;
    throw invalid('PROVIDER_BASE_URL_INVALID');
  }
  raw ??= fallback;
  if (raw === undefined) throw invalid('PROVIDER_BASE_URL_INVALID');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('PROVIDER_BASE_URL_INVALID');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.hash) {
    throw invalid('PROVIDER_BASE_URL_INVALID');
  }
  if (!allowPrivate && isPrivateHost(url.hostname)) throw invalid('PROVIDER_BASE_URL_PRIVATE');
  return url.toString().replace(/\/+$/, '');
}

/**
 * The save-time check: a name must resolve now, and only to public addresses. It refuses early and
 * with a clear message; what keeps private addresses out is the same guard at connect time
 * (core/outbound-guard.ts), since a name may resolve differently by then (DNS rebinding).
 */
export async function assertResolvesPublic(baseUrl: string, guard: OutboundGuard): Promise<void> {
  if (baseUrl.startsWith(BUILTIN)) return;
  const verdict = await guard.checkUrl(new URL(baseUrl));
  if (verdict === 'private') throw invalid('PROVIDER_BASE_URL_PRIVATE');
  if (verdict === 'unresolvable') throw invalid('PROVIDER_BASE_URL_UNRESOLVABLE');
}
