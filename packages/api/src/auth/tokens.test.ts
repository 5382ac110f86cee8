import { createHmac } from 'node:crypto';
import { jwtVerify, SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { signAccessToken, verifyAccessToken } from './tokens.js';

const KEY = new TextEncoder().encode('unit-test-secret-unit-test-secret-0123456789');
const OTHER_KEY = new TextEncoder().encode('another-secret-another-secret-another-0123');
const NOW = Math.floor(Date.now() / 1000);
const CLAIMS = { userId: 'usr_1', sessionId: 'ses_1', role: 'developer' as const };

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A compact token signed with HMAC-SHA256 over exactly the segments given (no validation). */
function rawToken(header: unknown, payload: unknown, key = KEY): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

const goodPayload = (overrides: Record<string, unknown> = {}) => ({
  role: 'developer',
  sid: 'ses_1',
  sub: 'usr_1',
  iss: 'maas-platform',
  aud: 'maas-api',
  iat: NOW,
  exp: NOW + 600,
  ...overrides,
});
const HEADER = { alg: 'HS256', typ: 'JWT' };

/** What jose's jwtVerify, with the options the server used before, says about the same token. */
async function joseAccepts(token: string): Promise<boolean> {
  try {
    await jwtVerify(token, KEY, {
      algorithms: ['HS256'],
      issuer: 'maas-platform',
      audience: 'maas-api',
      requiredClaims: ['exp', 'iat', 'iss', 'aud'],
    });
    return true;
  } catch {
    return false;
  }
}

describe('verifyAccessToken', () => {
  it('accepts a token the server signed and returns its claims', async () => {
    const token = await signAccessToken(KEY, CLAIMS, 600);
    expect(verifyAccessToken(KEY, token)).toEqual(CLAIMS);
  });

  it('refuses a token signed with another key', async () => {
    expect(verifyAccessToken(KEY, await signAccessToken(OTHER_KEY, CLAIMS, 600))).toBeNull();
  });

  it('refuses a tampered signature and a payload changed after signing', async () => {
    const token = await signAccessToken(KEY, CLAIMS, 600);
    const [header, payload, signature = ''] = token.split('.');
    const flipped = `${signature.slice(0, -4)}${signature.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    expect(verifyAccessToken(KEY, `${header}.${payload}.${flipped}`)).toBeNull();
    expect(verifyAccessToken(KEY, `${header}.${payload}.${signature}A`)).toBeNull();
    expect(verifyAccessToken(KEY, `${header}.${payload}.`)).toBeNull();
    const escalated = b64({ ...goodPayload(), role: 'admin' });
    expect(verifyAccessToken(KEY, `${header}.${escalated}.${signature}`)).toBeNull();
  });

  it('refuses alg none, with or without a signature, and any other algorithm', () => {
    const unsecured = new UnsecuredJWT(goodPayload()).encode();
    expect(verifyAccessToken(KEY, unsecured)).toBeNull();
    const [, payload] = unsecured.split('.');
    const hmac = createHmac('sha256', KEY)
      .update(`${b64({ alg: 'none' })}.${payload}`)
      .digest('base64url');
    expect(verifyAccessToken(KEY, `${b64({ alg: 'none' })}.${payload}.${hmac}`)).toBeNull();
    for (const alg of ['HS384', 'HS512', 'RS256', 'hs256', '', undefined])
      expect(verifyAccessToken(KEY, rawToken({ alg, typ: 'JWT' }, goodPayload()))).toBeNull();
    expect(verifyAccessToken(KEY, rawToken(HEADER, goodPayload()))).toEqual(CLAIMS);
  });

  it('refuses a wrong or missing issuer and audience', () => {
    expect(verifyAccessToken(KEY, rawToken(HEADER, goodPayload({ iss: 'someone-else' })))).toBeNull();
    expect(verifyAccessToken(KEY, rawToken(HEADER, goodPayload({ aud: 'another-api' })))).toBeNull();
    expect(verifyAccessToken(KEY, rawToken(HEADER, goodPayload({ aud: ['another-api'] })))).toBeNull();
    expect(verifyAccessToken(KEY, rawToken(HEADER, goodPayload({ iss: undefined })))).toBeNull();
    expect(verifyAccessToken(KEY, rawToken(HEADER, goodPayload({ aud: undefined })))).toBeNull();
    // An audience list that names this API is accepted, as jose accepts it.
    expect(verifyAccessToken(KEY, rawToken(HEADER, goodPayload({ aud: ['x', 'maas-api'] })))).toEqual(CLAIMS);
  });

  it('refuses an expired token, one expiring this second, and one without exp or iat', () => {
    expect(verifyAccessToken(KEY, rawToken(HEADER, goodPayload({ exp: NOW - 1 })))).toBeNull();
    expect(verifyAccessToken(KEY, rawToken(HEADER, goodPayload({ exp: NOW })), NOW * 1000)).toBeNull();
    expect(verifyAccessToken(KEY, rawToken(HEADER, goodPayload({ exp: undefined })))).toBeNull();
    expect(verifyAccessToken(KEY, rawToken(HEADER, goodPayload({ exp: String(NOW + 600) })))).toBeNull();
    expect(verifyAccessToken(KEY, rawToken(HEADER, goodPayload({ iat: undefined })))).toBeNull();
    expect(verifyAccessToken(KEY, rawToken(HEADER, goodPayload({ iat: 'yesterday' })))).toBeNull();
  });

  it('refuses a token whose nbf is in the future, accepts one whose nbf has passed', () => {
    expect(verifyAccessToken(KEY, rawToken(HEADER, goodPayload({ nbf: NOW + 60 })), NOW * 1000)).toBeNull();
    expect(verifyAccessToken(KEY, rawToken(HEADER, goodPayload({ nbf: 'soon' })))).toBeNull();
    expect(verifyAccessToken(KEY, rawToken(HEADER, goodPayload({ nbf: NOW })), NOW * 1000)).toEqual(CLAIMS);
  });

  it('refuses malformed segments', async () => {
    const token = await signAccessToken(KEY, CLAIMS, 600);
    const [header, payload, signature] = token.split('.');
    for (const malformed of [
      '',
      'abc',
      `${header}.${payload}`,
      `${token}.extra`,
      `${header}.${payload}.${signature}=`,
      `${header}=.${payload}.${signature}`,
      `${header}.${payload}+.${signature}`,
      `${header}.${payload}.${signature!.replace(/[-_]/g, '/')}!`,
      `.${payload}.${signature}`,
    ])
      expect(verifyAccessToken(KEY, malformed), malformed).toBeNull();
    expect(verifyAccessToken(KEY, rawToken('not json', goodPayload()))).toBeNull();
    expect(verifyAccessToken(KEY, rawToken([HEADER], goodPayload()))).toBeNull();
  });

  it('refuses a payload that is not a JSON object, even correctly signed', () => {
    for (const payload of ['not json', '[1,2,3]', '"a string"', 'null', '{"unterminated":'])
      expect(verifyAccessToken(KEY, rawToken(HEADER, payload)), payload).toBeNull();
    const input = `${b64(HEADER)}.${Buffer.from([0xff, 0xfe, 0x7b, 0x7d]).toString('base64url')}`;
    const invalidUtf8 = `${input}.${createHmac('sha256', KEY).update(input).digest('base64url')}`;
    expect(verifyAccessToken(KEY, invalidUtf8)).toBeNull();
  });

  it('refuses a missing subject or session and an unknown role', () => {
    expect(verifyAccessToken(KEY, rawToken(HEADER, goodPayload({ sub: undefined })))).toBeNull();
    expect(verifyAccessToken(KEY, rawToken(HEADER, goodPayload({ sid: 7 })))).toBeNull();
    expect(verifyAccessToken(KEY, rawToken(HEADER, goodPayload({ role: 'root' })))).toBeNull();
  });

  it('applies the critical-header rules jose applied: only b64, and only b64 true', () => {
    expect(verifyAccessToken(KEY, rawToken({ ...HEADER, crit: ['exp'] }, goodPayload()))).toBeNull();
    expect(verifyAccessToken(KEY, rawToken({ ...HEADER, crit: [] }, goodPayload()))).toBeNull();
    expect(verifyAccessToken(KEY, rawToken({ ...HEADER, crit: ['b64'], b64: false }, goodPayload()))).toBeNull();
    expect(verifyAccessToken(KEY, rawToken({ ...HEADER, crit: ['b64'] }, goodPayload()))).toBeNull();
    expect(verifyAccessToken(KEY, rawToken({ ...HEADER, crit: ['b64'], b64: true }, goodPayload()))).toEqual(CLAIMS);
  });

  it('agrees with jose on every token above and on the signer’s own output', async () => {
    const tokens = [
      await signAccessToken(KEY, CLAIMS, 600),
      await new SignJWT(goodPayload()).setProtectedHeader({ alg: 'HS512' }).sign(KEY),
      new UnsecuredJWT(goodPayload()).encode(),
      rawToken(HEADER, goodPayload()),
      rawToken(HEADER, goodPayload({ exp: NOW - 1 })),
      rawToken(HEADER, goodPayload({ nbf: NOW + 60 })),
      rawToken(HEADER, goodPayload({ iss: 'x' })),
      rawToken(HEADER, goodPayload({ aud: ['x', 'maas-api'] })),
      rawToken(HEADER, goodPayload({ iat: undefined })),
      rawToken(HEADER, 'not json'),
      rawToken({ ...HEADER, crit: ['b64'], b64: true }, goodPayload()),
      rawToken({ ...HEADER, crit: ['zip'] }, goodPayload()),
      rawToken(HEADER, goodPayload(), OTHER_KEY),
    ];
    for (const token of tokens) expect(verifyAccessToken(KEY, token) !== null, token).toBe(await joseAccepts(token));
  });
});
