// In the workspace this is the live router type of packages/api, so the SDK typechecks against
// today's procedures. The published build maps `@maas/api` to a generated, self-contained copy
// (scripts/generate-router-types.ts via tsconfig.build.json): the shipped .d.ts depends on
// @trpc/server only, never on unpublished workspace packages. The chat stream's events and the
// error status table come the same way, so the SDK never writes the server's wire types again.
export type { AppRouter, ChatStreamEvent, ErrorStatusTable } from '@maas/api';
