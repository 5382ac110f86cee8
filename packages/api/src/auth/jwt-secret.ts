import path from 'node:path';
import type { PlatformConfig } from '../core/config.js';
import { MIN_SECRET_LENGTH, readOrCreateSecretFile } from '../core/secret-file.js';

/**
 * MAAS_JWT_SECRET when set. Outside production a secret is generated once and kept under DATA_DIR,
 * so tokens survive restarts; in production a missing secret is a refusal to start.
 */
export function resolveJwtSecret(config: PlatformConfig): string {
  if (config.jwtSecret) {
    if (config.jwtSecret.length < MIN_SECRET_LENGTH) throw new Error(`MAAS_JWT_SECRET must be at least ${MIN_SECRET_LENGTH} characters`);
    return config.jwtSecret;
  }
  if (config.isProduction) {
    throw new Error('MAAS_JWT_SECRET is required when NODE_ENV=production; refusing to start');
  }
  // Replaced when unusable: the cost is that tokens signed before are no longer accepted.
  return readOrCreateSecretFile(path.resolve(config.dataDir, 'jwt-secret'), 'replace');
}
