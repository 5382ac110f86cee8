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
  | 'chatcmpl';

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
