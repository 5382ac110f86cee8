import { createHmac, timingSafeEqual } from 'node:crypto';

/*
 * How the platform signs a call to an http tool (issue 16 part 3), so that its author can tell the
 * call came from the platform and is fresh:
 *
 *   X-Maas-Timestamp: <unix seconds>
 *   X-Maas-Signature: v1=<hex HMAC-SHA256(signing secret, "<timestamp>.<raw body>")>
 *
 * The timestamp is inside the signed text, so an old call replayed later fails the author's
 * freshness check (a few minutes) even with an unchanged signature.
 */

export const SIGNATURE_HEADER = 'x-maas-signature';
export const TIMESTAMP_HEADER = 'x-maas-timestamp';
const SCHEME = 'v1';

export function signatureOf(secret: string, timestamp: string, body: string): string {
  return `${SCHEME}=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Headers for one call of `body`, signed at `now` (milliseconds). */
export function signedHeaders(secret: string, body: string, now = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(now / 1000));
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: signatureOf(secret, timestamp, body) };
}

/**
 * What an author's endpoint does with a call (exported for the README's example and the tests):
 * true when the signature matches and the timestamp is within `toleranceSeconds` of now.
 */
export function verifySignature(
  secret: string,
  body: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  { toleranceSeconds = 300, now = Date.now() }: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(Math.floor(now / 1000) - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(signatureOf(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
