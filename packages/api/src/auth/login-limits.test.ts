import { describe, expect, it } from 'vitest';
import { AppError } from '../core/errors.js';
import { admitLoginAttempt, clientNetwork, type LoginLimiter } from './login-limits.js';

describe('clientNetwork', () => {
  it('keeps an IPv4 address whole, also when node reports it IPv4-mapped', () => {
    expect(clientNetwork('203.0.113.7')).toBe('203.0.113.7');
    expect(clientNetwork('::ffff:203.0.113.7')).toBe('203.0.113.7');
  });

  it('counts an IPv6 address by its /64, however it is written', () => {
    const network = '2001:db8:0:12::/64';
    expect(clientNetwork('2001:db8:0:12::1')).toBe(network);
    expect(clientNetwork('2001:0db8:0000:0012:ffff:1:2:3')).toBe(network);
    expect(clientNetwork('2001:DB8:0:12:0:0:0:9')).toBe(network);
    expect(clientNetwork('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(clientNetwork('::1')).toBe('0:0:0:0::/64');
    expect(clientNetwork('2001:db8:0:13::1')).not.toBe(network);
  });

  it('passes anything else through unchanged', () => {
    expect(clientNetwork('unknown')).toBe('unknown');
  });
});

describe('admitLoginAttempt', () => {
  it('throws RATE_LIMITED with the sign-in message and a Retry-After in whole seconds', async () => {
    const limiter: LoginLimiter = { begin: async () => ({ allowed: false, retryAfterMs: 1_200 }), succeeded: async () => {} };
    const error = await admitLoginAttempt(limiter, 'user_1', '203.0.113.7').catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ appCode: 'RATE_LIMITED', messageKey: 'TOO_MANY_LOGIN_ATTEMPTS', headers: { 'retry-after': '2' } });
  });

  it('reports a success for the same account and network it admitted', async () => {
    const seen: string[] = [];
    const limiter: LoginLimiter = {
      begin: async (account, network) => {
        seen.push(`begin ${account} ${network}`);
        return { allowed: true };
      },
      succeeded: async (account, network) => {
        seen.push(`succeeded ${account} ${network}`);
      },
    };
    const attempt = await admitLoginAttempt(limiter, 'user_1', '2001:db8::5');
    await attempt.succeeded();
    expect(seen).toEqual(['begin user_1 2001:db8:0:0::/64', 'succeeded user_1 2001:db8:0:0::/64']);
  });

  it('admits everything when no limiter is configured', async () => {
    await expect(admitLoginAttempt(undefined, 'user_1', '203.0.113.7')).resolves.toBeDefined();
  });
});
