import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';
import { z } from 'zod';

export type IdPrefix =
  | 'user'
  | 'sess'
  | 'model'
  | 'prov'
  | 'file'
  | 'app'
  | 'conv'
  | 'msg'
  | 'resp'
  | 'key'
  | 'txn'
  | 'usage'
  | 'rsv'
  | 'lease'
  | 'inst'
  | 'tool'
  | 'order'
  | 'rev'
  | 'post'
  | 'cmt'
  | 'audit'
  | 'req'
  | 'chatcmpl'
  | 'video'
  | 'tcall'
  | 'topup'
  | 'rcbatch'
  | 'rcode';

/** Prefixed, opaque, unguessable ids (`user_…`): 120 random bits in lower-case base32. */
export function newId(prefix: IdPrefix): string {
  const bytes = new Uint8Array(15);
  crypto.getRandomValues(bytes);
  return `${prefix}_${encodeBase32LowerCaseNoPadding(bytes)}`;
}

/** A random secret of the given number of bytes, base32 encoded. */
export function randomSecret(byteLength = 20): string {
  const bytes = new Uint8Array(byteLength);
  crypto.getRandomValues(bytes);
  return encodeBase32LowerCaseNoPadding(bytes);
}

/**
 * What an id of this kind may look like: `prefix_` and lower-case letters and digits (newId writes
 * base32, a subset, so older or hand-made ids of the same shape stay valid).
 */
export function idPattern(prefix: IdPrefix): RegExp {
  return new RegExp(`^${prefix}_[a-z0-9]+$`);
}

/** The zod schema of an id of one kind (`IdOf('tool')` accepts `tool_…`), at most 64 characters. */
export function IdOf(prefix: IdPrefix) {
  return z.string().regex(idPattern(prefix)).max(64);
}

/**
 * An id in a URL path, of one kind. A path names a resource or nothing; an id of the wrong shape
 * names nothing, so it answers the contract's 404 like any other unknown id, not a 400 (issue 19
 * part 5). Bad shapes become NO_SUCH_ID, an id of the right shape that newId never writes (its
 * base32 has no `0`), so a lookup finds nothing and no odd input (a NUL byte, a path) reaches a
 * query. Ids in bodies and queries keep IdOf: bad input there is the client's 400.
 */
export function PathIdOf(prefix: IdPrefix) {
  const pattern = idPattern(prefix);
  return z
    .string()
    .max(2048)
    .transform((value) => (value.length <= 64 && pattern.test(value) ? value : `${prefix}_0`))
    .meta({ description: `Id of the resource (\`${prefix}_…\`); an id that names nothing is a 404`, example: `${prefix}_abc123` });
}
