import type { Platform } from '../core/platform.js';

/**
 * Demo data for a first start, so a newcomer sees a living platform. Each domain adds its part
 * here; every step must be idempotent.
 */
export async function seedDemoData(_platform: Platform): Promise<void> {}
