import { z } from 'zod';

export function toIso(date: Date): string {
  return date.toISOString();
}

export function toIsoOrNull(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

/** ISO-8601 UTC timestamp as the API shows it. */
export const Timestamp = z.string().meta({ description: 'ISO-8601 UTC timestamp', example: '2024-01-15T10:30:00.000Z' });

const EARLIEST_MS = Date.UTC(1970, 0, 1);
const LATEST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * Instants outside 1970..9999 mean nothing to this platform, and the database drivers do not
 * agree on them (year 0 shifts by a day on its way to PostgreSQL, and fails on PGlite; found by
 * the fuzz suite), so they are refused as input.
 */
function inSupportedRange(value: string): boolean {
  const ms = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
  return Number.isFinite(ms) && ms >= EARLIEST_MS && ms <= LATEST_MS;
}
const RANGE_MESSAGE = 'must be between 1970-01-01 and 9999-12-31';

/** An ISO-8601 timestamp with an offset, as input. */
export const InstantInput = z.iso.datetime({ offset: true }).refine(inSupportedRange, RANGE_MESSAGE);

/** YYYY-MM-DD or an ISO-8601 timestamp with an offset, as input. */
export const DateOrInstantInput = z.union([z.iso.date(), z.iso.datetime({ offset: true })]).refine(inSupportedRange, RANGE_MESSAGE);
