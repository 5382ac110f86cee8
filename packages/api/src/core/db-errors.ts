/** The name of the unique constraint or index a PostgreSQL error violated, if it was one. */
export function uniqueViolation(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const code = 'code' in error ? error.code : undefined;
  if (code !== '23505') return null;
  const constraint = 'constraint' in error ? error.constraint : undefined;
  return typeof constraint === 'string' ? constraint : '';
}
