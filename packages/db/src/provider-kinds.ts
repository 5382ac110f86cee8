// The provider kinds the platform can route model calls to: the single source for the database
// type, the CHECK constraint (kept in step at every migrate, see migrate.ts), the API's zod enum and the adapter registry
// (packages/api/src/inference/adapters/index.ts). It lives here because packages/db must not
// import packages/api.
export const PROVIDER_KINDS = ['openai-compatible', 'demo-echo', 'anthropic', 'gemini', 'ollama'] as const;

export type ProviderKind = (typeof PROVIDER_KINDS)[number];

/** `kind IN (…)` for the CHECK constraint, built from the list. */
export function providerKindCheckList(): string {
  return PROVIDER_KINDS.map((kind) => `'${kind.replace(/'/g, "''")}'`).join(', ');
}
