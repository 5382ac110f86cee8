/** The name of the unique constraint or index a PostgreSQL error violated, if it was one. */
export function uniqueViolation(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const code = 'code' in error ? error.code : undefined;
  if (code !== '23505') return null;
  const constraint = 'constraint' in error ? error.constraint : undefined;
  return typeof constraint === 'string' ? constraint : '';
}

/** True for a foreign-key violation: a referenced row is missing, or a row still referenced was deleted. */
export function isForeignKeyViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === '23503';
}
