import type { Platform } from '../core/platform.js';
import { syncProvidersFromEnv } from '../models/env-catalog.js';
import { ensureAdmin } from './admin.js';
import { seedDemoData } from './demo.js';

/** Runs at every start after migrations: idempotent, so restarts change nothing twice. */
export async function bootstrapPlatformData(platform: Platform): Promise<void> {
  await ensureAdmin(platform);
  await syncProvidersFromEnv(platform);
  if (platform.config.seedDemoData) await seedDemoData(platform);
}
