// Issue 14 part 5: what a media call delivered, in its own unit, and what that costs. Quantities are
// integers in the unit's base measure (images, milliseconds, characters), so a cost is exact: a
// fraction of a nano-unit rounds up, once per call.
import type { UsageUnitsJson } from '@maas/db';
import { AppError } from '../core/errors.js';
import type { UnitPrices } from '../models/unit-prices.js';

export type BilledUnits =
  | { unit: 'image'; images: number; unitPriceNano: bigint }
  /** Seconds of generated audio or video, priced per second. */
  | { unit: 'second'; milliseconds: number; unitPriceNano: bigint }
  /** Characters of speech input, priced per 1 000. */
  | { unit: '1k_characters'; characters: number; unitPriceNano: bigint }
  /** Minutes of transcribed audio, priced per minute. */
  | { unit: 'minute'; milliseconds: number; unitPriceNano: bigint };

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}

function whole(value: number): bigint {
  return BigInt(Number.isFinite(value) && value > 0 ? Math.ceil(value) : 0);
}

export function unitsCost(units: BilledUnits): bigint {
  switch (units.unit) {
    case 'image':
      return whole(units.images) * units.unitPriceNano;
    case 'second':
      return ceilDiv(whole(units.milliseconds) * units.unitPriceNano, 1_000n);
    case '1k_characters':
      return ceilDiv(whole(units.characters) * units.unitPriceNano, 1_000n);
    case 'minute':
      return ceilDiv(whole(units.milliseconds) * units.unitPriceNano, 60_000n);
  }
}

/** The usage record's `units`: the quantity in the priced unit (seconds, thousands of characters, minutes). */
export function unitsJson(units: BilledUnits): UsageUnitsJson {
  const quantity = (() => {
    switch (units.unit) {
      case 'image':
        return units.images;
      case 'second':
        return units.milliseconds / 1_000;
      case '1k_characters':
        return units.characters / 1_000;
      case 'minute':
        return Math.round((units.milliseconds / 60_000) * 1e6) / 1e6;
    }
  })();
  return { unit: units.unit, quantity, unit_price_nano: units.unitPriceNano.toString() };
}

/**
 * The price of one image of this size and quality: the most specific `per_image_by` entry that
 * matches (size and quality, then size, then quality), else `per_image`, else 0 (a model priced by
 * tokens only generates images for free, as its owner chose).
 */
export function imagePrice(prices: UnitPrices, size: string | null, quality: string | null): bigint {
  const match = (wantSize: boolean, wantQuality: boolean) =>
    prices.perImageBy.find(
      (p) =>
        (wantSize ? p.size !== null && p.size === size : p.size === null) &&
        (wantQuality ? p.quality !== null && p.quality === quality : p.quality === null),
    );
  return (match(true, true) ?? match(true, false) ?? match(false, true))?.priceNano ?? prices.perImage ?? 0n;
}

/** The dearest image price of the model: the reservation for an image call holds n × this. */
export function largestImagePrice(prices: UnitPrices): bigint {
  return prices.perImageBy.reduce((max, p) => (p.priceNano > max ? p.priceNano : max), prices.perImage ?? 0n);
}

/** Guards a quantity a client asked for (n, seconds) before it is multiplied into a reservation. */
export function assertQuantity(value: number, max: number, field: string): void {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new AppError('INVALID_REQUEST', { message: 'QUANTITY_OUT_OF_RANGE', params: { field, max }, details: { field, max } });
  }
}
