import { isIPv6 } from 'node:net';
import { AppError } from '../core/errors.js';
import type { LoginLimiter } from '../core/rate-limits.js';

export type { LoginLimiter } from '../core/rate-limits.js';

export interface LoginAttempt {
  succeeded(): Promise<void>;
}

const UNGUARDED: LoginAttempt = { succeeded: async () => {} };

/**
 * Admits a sign-in attempt or throws the 429 (with Retry-After). `account` should name the
 * account itself when it exists (its id), so its username and its email share one budget.
 */
export async function admitLoginAttempt(limiter: LoginLimiter | undefined, account: string, ip: string): Promise<LoginAttempt> {
  if (!limiter) return UNGUARDED;
  const network = clientNetwork(ip);
  const verdict = await limiter.begin(account, network);
  if (!verdict.allowed) {
    const retryAfterSeconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
    throw new AppError('RATE_LIMITED', { message: 'TOO_MANY_LOGIN_ATTEMPTS', headers: { 'retry-after': String(retryAfterSeconds) } });
  }
  return { succeeded: () => limiter.succeeded(account, network) };
}

/**
 * The unit a client is counted by: its IPv4 address, or the /64 of an IPv6 address, since one
 * subscriber usually holds a whole /64 and could otherwise take a fresh address per guess.
 */
export function clientNetwork(ip: string): string {
  const address = ip.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (!isIPv6(address)) return address;
  const [head = '', tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  const prefix = groups.slice(0, 4).map((group) => Number.parseInt(group, 16).toString(16));
  return `${prefix.join(':')}::/64`;
}
