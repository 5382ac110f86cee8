import type { PlatformConfig } from '@maas/api';
import type { MaasServer } from './server.js';

// What a newcomer needs after `pnpm start`, in one readable block on stdout (the JSON log lines go
// on as before): where things are, what is running, and how to sign in.

function databaseLine(config: PlatformConfig): string {
  if (!config.databaseUrl) return `embedded PGlite in ${config.dataDir}`;
  try {
    const url = new URL(config.databaseUrl);
    return `PostgreSQL at ${url.hostname}${url.port ? `:${url.port}` : ''}${url.pathname}`;
  } catch {
    return 'PostgreSQL (DATABASE_URL)';
  }
}

export function startBanner(server: MaasServer, url: string): string {
  const { config } = server.platform;
  const admin = server.bootstrap.initialAdmin;
  const lines = [
    '',
    `  MaaS platform ready on ${url}`,
    '',
    `  Dashboard   ${server.dashboard ? `${url}/` : 'not built (pnpm --filter @maas/dashboard build)'}`,
    `  API docs    ${url}/api/v1/docs   (OpenAPI: ${url}/api/v1/openapi.json)`,
    `  OpenAI API  ${url}/v1   (Anthropic: ${url}/v1/messages)`,
    `  Database    ${databaseLine(config)}`,
    `  Redis       ${config.redisUrl ? 'on (shared rate limits)' : 'off (limits per instance; set REDIS_URL to share them)'}`,
    `  Demo data   ${config.seedDemoData ? 'seeded (demo-* models answer offline through demo-echo)' : 'off (MAAS_SEED_DEMO=1 to seed it)'}`,
    '',
  ];
  if (admin) {
    lines.push(
      `  Sign in as the admin created on this first start:`,
      `    username  ${admin.username}`,
      `    password  ${admin.password}`,
      `  (shown once; also in ${admin.file}, readable by you only)`,
    );
  } else if (config.adminEmail) {
    lines.push(`  Sign in as the admin ${config.adminEmail} (MAAS_ADMIN_EMAIL / MAAS_ADMIN_PASSWORD).`);
  } else {
    lines.push(`  Sign in with your account; the first admin's password was written to DATA_DIR/initial-admin-password.`);
  }
  lines.push('');
  return lines.join('\n');
}
