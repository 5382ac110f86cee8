import { z } from 'zod';

/** The one currency of the platform wallet; every amount, price and order is in it. */
export const CURRENCY = 'CNY';

/** Nano-units: 1 currency unit = 10^9 nano. Amounts stay bigint until the API edge. */
export const NANO_PER_UNIT = 1_000_000_000n;
const SCALE = 9;

/** Formats nano-units as a decimal number of currency units, exactly (e.g. 1500000n -> 0.0015). */
export function nanoToDecimalString(nano: bigint): string {
  const negative = nano < 0n;
  const abs = negative ? -nano : nano;
  const whole = abs / NANO_PER_UNIT;
  const fraction = (abs % NANO_PER_UNIT).toString().padStart(SCALE, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/**
 * The contract shows amounts as JSON numbers (`"cost": 0.0015`). A JSON number is how the
 * decimal string is sent; it is rendered from the exact decimal, never computed in floating point.
 */
export function nanoToAmount(nano: bigint): number {
  return Number(nanoToDecimalString(nano));
}

/** Parses a decimal amount (number or string) with at most 9 fractional digits into nano-units. */
export function decimalToNano(value: number | string): bigint {
  const text = typeof value === 'number' ? numberToPlainString(value) : value.trim();
  const match = /^(-)?(\d+)(?:\.(\d{1,9}))?$/.exec(text);
  if (!match) throw new RangeError(`not a decimal amount with at most 9 decimals: ${text}`);
  const [, sign, whole = '0', fraction = ''] = match;
  const nano = BigInt(whole) * NANO_PER_UNIT + BigInt(fraction.padEnd(SCALE, '0'));
  return sign ? -nano : nano;
}

function numberToPlainString(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError('amount must be finite');
  // toString() would give exponent notation for tiny prices such as 3e-8.
  const plain = Math.abs(value) < 1e-6 && value !== 0 ? value.toFixed(SCALE) : value.toString();
  return plain.includes('e') ? value.toFixed(SCALE) : plain;
}

const MAX_AMOUNT_NANO = 1_000_000_000n * NANO_PER_UNIT;

/**
 * An amount in currency units as the API takes it (a JSON number or a decimal string, at most 9
 * decimals), parsed exactly into nano-units and kept within `(0 or above) .. max`.
 */
export function amountInput(options: { zero: 'allowed' | 'refused'; max: bigint; rangeMessage: string; noun: string }) {
  return z.union([z.number(), z.string()]).transform((value, ctx) => {
    try {
      const nano = decimalToNano(value);
      const low = options.zero === 'allowed' ? nano < 0n : nano <= 0n;
      if (low || nano > options.max) {
        ctx.addIssue({ code: 'custom', message: options.rangeMessage });
        return z.NEVER;
      }
      return nano;
    } catch {
      ctx.addIssue({ code: 'custom', message: `${options.noun} must be a decimal with at most 9 fractional digits` });
      return z.NEVER;
    }
  });
}

/** An API amount in currency units: positive, at most 9 decimals, at most 1e9 units. */
export const PositiveAmount = amountInput({
  zero: 'refused',
  max: MAX_AMOUNT_NANO,
  rangeMessage: 'amount must be > 0 and at most 1000000000',
  noun: 'amount',
}).meta({ description: 'Amount in currency units (up to 9 decimals)', example: 10.5 });

/** Output side of an amount: nano-units rendered as a decimal JSON number. */
export const Amount = z.number().meta({ description: 'Amount in currency units' });
