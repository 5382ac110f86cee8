// STAND-IN (H3's branch): H2 owns this file; the lead keeps H2's version at merge. The demo
// calculator (apps/api/src/routes/demo-tools.ts) verifies calls with `verifyToolSignature`.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-maas-signature';
export const TIMESTAMP_HEADER = 'x-maas-timestamp';

function mac(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The headers that sign `body` (HMAC-SHA256 over `${timestamp}.${body}`). */
export function signToolRequest(secret: string, body: string, now = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(now / 1000));
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: `sha256=${mac(secret, timestamp, body)}` };
}

/** True when the headers sign `body` with `secret`, within five minutes of now. */
export function verifyToolSignature(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  body: string,
  now = Date.now(),
): boolean {
  const timestamp = headers[TIMESTAMP_HEADER];
  const signature = headers[SIGNATURE_HEADER];
  if (typeof timestamp !== 'string' || typeof signature !== 'string') return false;
  if (Math.abs(now / 1000 - Number(timestamp)) > 300) return false;
  const expected = Buffer.from(`sha256=${mac(secret, timestamp, body)}`);
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
