import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import path from 'node:path';
import type { PlatformConfig } from '../core/config.js';
import { AppError } from '../core/errors.js';
import { MIN_SECRET_LENGTH, readOrCreateSecretFile } from '../core/secret-file.js';

// Provider API keys are stored AES-256-GCM encrypted. The key is derived (HKDF-SHA256) from
// MAAS_ENCRYPTION_KEY; outside production a secret is generated once and kept under DATA_DIR, like
// the JWT secret, so a restart can still read what it wrote.

const FORMAT = 'v1';
const KEY_FILE = 'encryption-key';

const derivedKeys = new WeakMap<PlatformConfig, Buffer>();

/**
 * The generated secret under DATA_DIR. Unlike the JWT secret, an unusable file is never replaced:
 * that would orphan every stored key.
 */
function readOrCreateLocalSecret(dataDir: string): string {
  return readOrCreateSecretFile(
    path.resolve(dataDir, KEY_FILE),
    (file) => new Error(`${file} exists but holds no usable key; restore it or set MAAS_ENCRYPTION_KEY`),
  );
}

/**
 * The AES key, or an error when none may be used: a too-short MAAS_ENCRYPTION_KEY is a startup
 * error; a missing one in production refuses the write (or read) that needed it.
 */
export function providerEncryptionKey(config: PlatformConfig): Buffer {
  const cached = derivedKeys.get(config);
  if (cached) return cached;
  let secret = config.encryptionKey;
  if (secret !== undefined && secret.length < MIN_SECRET_LENGTH) {
    throw new Error(`MAAS_ENCRYPTION_KEY must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  if (secret === undefined) {
    if (config.isProduction) throw new AppError('INTERNAL_ERROR', { message: 'ENCRYPTION_KEY_MISSING' });
    secret = readOrCreateLocalSecret(config.dataDir);
  }
  const key = Buffer.from(hkdfSync('sha256', secret, 'maas-platform', 'provider-api-keys/v1', 32));
  derivedKeys.set(config, key);
  return key;
}

/** Encrypts a provider secret; `boundTo` (the provider id) is authenticated, so a ciphertext copied to another row does not decrypt. */
export function encryptSecret(config: PlatformConfig, plaintext: string, boundTo: string): string {
  const key = providerEncryptionKey(config);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(boundTo, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [FORMAT, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
}

export function decryptSecret(config: PlatformConfig, stored: string, boundTo: string): string {
  const [format, iv, tag, data] = stored.split('.');
  if (format !== FORMAT || iv === undefined || tag === undefined || data === undefined) {
    throw new Error('provider secret has an unknown format');
  }
  const decipher = createDecipheriv('aes-256-gcm', providerEncryptionKey(config), Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(boundTo, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  } catch (error) {
    throw new Error('provider secret cannot be decrypted: was MAAS_ENCRYPTION_KEY changed?', { cause: error });
  }
}
