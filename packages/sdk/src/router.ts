// In the workspace this is the live router type of packages/api, so the SDK typechecks against
// today's procedures. The published build maps `@maas/api` to a generated, self-contained copy
// (scripts/generate-router-types.ts via tsconfig.build.json): the shipped .d.ts depends on
// @trpc/server only, never on unpublished workspace packages.
export type { AppRouter } from '@maas/api';
