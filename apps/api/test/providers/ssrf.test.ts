import { lookup } from 'node:dns/promises';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { assertResolvesPublic } from '@maas/api/testing';

describe('SSRF guard on provider base_url', () => {
  it('refuses a hostname whose resolved address is loopback or private', async () => {
    // This machine's own name resolves to a loopback address (from /etc/hosts), like a hostile
    // DNS record pointing a public-looking name at an internal service.
    const hostname = os.hostname();
    const resolved = await lookup(hostname, { all: true });
    expect(resolved.some((a) => a.address.startsWith('127.') || a.address === '::1')).toBe(true);
    await expect(assertResolvesPublic(`http://${hostname}:8080/v1`, false)).rejects.toMatchObject({ appCode: 'INVALID_REQUEST' });
  });

  it('lets the same hostname through when private upstreams are allowed', async () => {
    await expect(assertResolvesPublic(`http://${os.hostname()}:8080/v1`, true)).resolves.toBeUndefined();
  });
});
