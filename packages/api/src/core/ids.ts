import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';

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
