import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PlatformConfig } from '../core/config.js';
import { randomSecret } from '../core/ids.js';

/**
 * MAAS_JWT_SECRET when set. Outside production a secret is generated once and kept under DATA_DIR,
 * so tokens survive restarts; in production a missing secret is a refusal to start.
 */
export function resolveJwtSecret(config: PlatformConfig): string {
  if (config.jwtSecret) {
    if (config.jwtSecret.length < 32) throw new Error('MAAS_JWT_SECRET must be at least 32 characters');
    return config.jwtSecret;
  }
  if (config.isProduction) {
    throw new Error('MAAS_JWT_SECRET is required when NODE_ENV=production; refusing to start');
  }
  const file = path.resolve(config.dataDir, 'jwt-secret');
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) return existing;
  } catch {
    // Not there yet: create it below.
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const secret = randomSecret(32);
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
