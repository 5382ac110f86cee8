import { seedDemoCommunity } from '../community/seed.js';
import type { Platform } from '../core/platform.js';
import { seedDemoCatalog } from '../models/seed.js';
import { seedDemoMarketplace } from '../tools/seed.js';

/**
 * Demo data for a first start, so a newcomer sees a living platform. Every step is idempotent:
 * it runs at each start and changes nothing the second time.
 */
export async function seedDemoData(platform: Platform): Promise<void> {
  await seedDemoCatalog(platform);
  await seedDemoMarketplace(platform);
  await seedDemoCommunity(platform);
}
