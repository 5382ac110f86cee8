import { z } from 'zod';

export function toIso(date: Date): string {
  return date.toISOString();
}

export function toIsoOrNull(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

/** ISO-8601 UTC timestamp as the API shows it. */
export const Timestamp = z.string().meta({ description: 'ISO-8601 UTC timestamp', example: '2024-01-15T10:30:00.000Z' });
