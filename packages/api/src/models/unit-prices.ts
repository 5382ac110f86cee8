import type { UnitPricesJson } from '@maas/db';
import type { z } from 'zod';
import { nanoToAmount } from '../core/money.js';
import type { UnitPricingInput } from './pricing.js';

// Issue 14 part 5: a model's per-unit prices, between the API (currency units), the column
// (nano-units as decimal strings in JSON) and a call (bigints).

/** Per-unit prices in nano-units, as a call prices its delivery (see inference/units.ts). */
export interface UnitPrices {
  perImage: bigint | null;
  perImageBy: { size: string | null; quality: string | null; priceNano: bigint }[];
  perSecond: bigint | null;
  per1kCharacters: bigint | null;
  perMinute: bigint | null;
}

type UnitPricingIn = z.infer<typeof UnitPricingInput>;

/** The column value for a pricing input: null when it sets no unit price. */
export function unitPricesColumn(pricing: UnitPricingIn | undefined): string | null {
  if (!pricing) return null;
  const json: UnitPricesJson = {};
  if (pricing.per_image !== undefined) json.per_image = pricing.per_image.toString();
  if (pricing.per_image_by !== undefined && pricing.per_image_by.length > 0) {
    json.per_image_by = pricing.per_image_by.map((p) => ({
      ...(p.size !== undefined ? { size: p.size } : {}),
      ...(p.quality !== undefined ? { quality: p.quality } : {}),
      price: p.price.toString(),
    }));
  }
  if (pricing.per_second !== undefined) json.per_second = pricing.per_second.toString();
  if (pricing.per_1k_characters !== undefined) json.per_1k_characters = pricing.per_1k_characters.toString();
  if (pricing.per_minute !== undefined) json.per_minute = pricing.per_minute.toString();
  return Object.keys(json).length === 0 ? null : JSON.stringify(json);
}

/** The API's view: only the prices that are set, so a token-priced model answers as before. */
export function unitPricesOutput(json: UnitPricesJson | null) {
  if (!json) return {};
  const amount = (value: string | undefined) => (value === undefined ? undefined : nanoToAmount(BigInt(value)));
  return {
    ...(json.per_image !== undefined ? { per_image: amount(json.per_image) } : {}),
    ...(json.per_image_by !== undefined
      ? {
          per_image_by: json.per_image_by.map((p) => ({
            ...(p.size !== undefined ? { size: p.size } : {}),
            ...(p.quality !== undefined ? { quality: p.quality } : {}),
            price: nanoToAmount(BigInt(p.price)),
          })),
        }
      : {}),
    ...(json.per_second !== undefined ? { per_second: amount(json.per_second) } : {}),
    ...(json.per_1k_characters !== undefined ? { per_1k_characters: amount(json.per_1k_characters) } : {}),
    ...(json.per_minute !== undefined ? { per_minute: amount(json.per_minute) } : {}),
  };
}

export function unitPricesOf(json: UnitPricesJson | null): UnitPrices {
  const nano = (value: string | undefined) => (value === undefined ? null : BigInt(value));
  return {
    perImage: nano(json?.per_image),
    perImageBy: (json?.per_image_by ?? []).map((p) => ({ size: p.size ?? null, quality: p.quality ?? null, priceNano: BigInt(p.price) })),
    perSecond: nano(json?.per_second),
    per1kCharacters: nano(json?.per_1k_characters),
    perMinute: nano(json?.per_minute),
  };
}
