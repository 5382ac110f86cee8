import type { Platform } from '../core/platform.js';

/** Where a stored file's bytes are served, with auth, on this platform (`url` of generated media). */
export function fileContentUrl(platform: Platform, fileId: string): string {
  return `${platform.config.publicUrl}/api/v1/files/${fileId}/content`;
}
