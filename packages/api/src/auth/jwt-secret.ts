import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PlatformConfig } from '../core/config.js';
import { randomSecret } from '../core/ids.js';

const MIN_SECRET_LENGTH = 32;

function readSecret(file: string): string | null {
  try {
    const existing = readFileSync(file, 'utf8').trim();
    return existing.length >= MIN_SECRET_LENGTH ? existing : null;
  } catch {
    return null;
  }
}

function isFileExistsError(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'EEXIST';
}

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
  const file = path.resolve(config.dataDir, 'jwt-secret');
  const existing = readSecret(file);
  if (existing) return existing;

  mkdirSync(path.dirname(file), { recursive: true });
  const secret = randomSecret(32);
  // Written in full to a private file, then linked into place: link() fails when the name exists,
  // so of two processes starting on one DATA_DIR the first wins and the other reads its secret.
  const pending = `${file}.${process.pid}.${randomSecret(5)}.tmp`;
  writeFileSync(pending, `${secret}\n`, { mode: 0o600 });
  try {
    linkSync(pending, file);
    return secret;
  } catch (error) {
    if (!isFileExistsError(error)) throw error;
    const winner = readSecret(file);
    if (winner) return winner;
    // The file there is unusable (empty or truncated): replace it rather than refuse to start.
    renameSync(pending, file);
    return secret;
  } finally {
    try {
      unlinkSync(pending);
    } catch {
      // Already renamed into place.
    }
  }
}
