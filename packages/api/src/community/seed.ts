import type { Platform } from '../core/platform.js';

/** Idempotent demo data for a first start. */
export async function seedDemoCommunity(_platform: Platform): Promise<void> {}
