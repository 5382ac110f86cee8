import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import type { ProviderKind } from '@maas/db';
import { AppError } from '../core/errors.js';
import { adapterFor } from '../inference/adapters/index.js';

export const DEMO_ECHO_BASE_URL = 'builtin://demo-echo';
const BUILTIN = 'builtin://';

/** Whether the kind answers inside the process (its only base URL is its builtin:// one). */
export function isBuiltinKind(kind: ProviderKind): boolean {
  return adapterFor(kind)?.defaultBaseUrl?.startsWith(BUILTIN) === true;
}

// Addresses an upstream must not point at unless MAAS_ALLOW_PRIVATE_UPSTREAMS is on: loopback,
// private, link-local (cloud metadata) and other non-routable ranges. Only literal addresses and
// `localhost` are checked here; a public name that resolves to a private address is not (that needs
// a check at connect time, in the upstream client).
const privateRanges = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  privateRanges.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const) {
  privateRanges.addSubnet(network, prefix, 'ipv6');
}

export function isPrivateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const family = isIP(host);
  if (family === 4) return privateRanges.check(host, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host)?.[1];
    return mapped ? privateRanges.check(mapped, 'ipv4') : privateRanges.check(host, 'ipv6');
  }
  return false;
}

function invalid(message: 'PROVIDER_BASE_URL_INVALID' | 'PROVIDER_BASE_URL_PRIVATE'): AppError {
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
 * A name can resolve to a private address even when it looks public (DNS pointing at 10.x, or at
 * the metadata service). Every address the name resolves to must be public.
 */
export async function assertResolvesPublic(baseUrl: string, allowPrivate: boolean): Promise<void> {
  if (allowPrivate || baseUrl.startsWith(BUILTIN)) return;
  const { hostname } = new URL(baseUrl);
  if (isIP(hostname.replace(/^\[|\]$/g, ''))) return;
  let addresses: { address: string }[];
  try {
    addresses = await lookup(hostname, { all: true, verbatim: true });
  } catch {
    // An unresolvable name cannot reach anything private now; it is checked again when changed.
    return;
  }
  if (addresses.some(({ address }) => isPrivateHost(address))) throw invalid('PROVIDER_BASE_URL_PRIVATE');
}
