import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomSecret } from './ids.js';

/** The shortest secret accepted, from the environment or from a file. */
export const MIN_SECRET_LENGTH = 32;

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
 * The secret kept in `file`, generated and written there on first use. Written in full to a private
 * file, then linked into place: link() fails when the name exists, so of two processes starting on
 * one DATA_DIR the first wins and the other reads its secret.
 *
 * A file that is there but unusable (empty, truncated) is either replaced, or `unusable` gives the
 * error to refuse with: replacing an encryption key would orphan everything encrypted with it.
 */
export function readOrCreateSecretFile(file: string, unusable: 'replace' | ((file: string) => Error)): string {
  const existing = readSecret(file);
  if (existing) return existing;

  mkdirSync(path.dirname(file), { recursive: true });
  const secret = randomSecret(32);
  const pending = `${file}.${process.pid}.${randomSecret(5)}.tmp`;
  writeFileSync(pending, `${secret}\n`, { mode: 0o600 });
  let renamed = false;
  try {
    linkSync(pending, file);
    return secret;
  } catch (error) {
    if (!isFileExistsError(error)) throw error;
    const winner = readSecret(file);
    if (winner) return winner;
    if (unusable !== 'replace') throw unusable(file);
    renameSync(pending, file);
    renamed = true;
    return secret;
  } finally {
    if (!renamed) unlinkSync(pending);
  }
}
