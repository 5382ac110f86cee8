/**
 * Escapes LIKE's wildcards (`%`, `_`) and its escape character (`\`, PostgreSQL's default) so
 * that a user's text matches only itself.
 */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The LIKE pattern for "contains `search`, ignoring case": compare it with `lower(column)`. */
export function containsPattern(search: string): string {
  return `%${escapeLike(search.toLowerCase())}%`;
}
