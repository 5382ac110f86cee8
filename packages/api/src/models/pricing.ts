import { z } from 'zod';
import { Amount, amountInput, NANO_PER_UNIT } from '../core/money.js';

// Per-token prices, shared by models (their pricing) and providers (the floor under it).

const MAX_TOKEN_PRICE_NANO = 1_000n * NANO_PER_UNIT;

/** A price per token in currency units (e.g. 0.00003), 0 allowed, at most 9 decimals. */
export const TokenPrice = amountInput({
  zero: 'allowed',
  max: MAX_TOKEN_PRICE_NANO,
  rangeMessage: 'price per token must be between 0 and 1000',
  noun: 'price per token',
}).meta({ description: 'Price per token in currency units (at most 9 decimals)', example: 0.00003 });

export const PricingInput = z.object({ input_tokens: TokenPrice, output_tokens: TokenPrice }).strict();

export const Pricing = z
  .object({
    input_tokens: Amount.meta({ description: 'Price per input token in currency units' }),
    output_tokens: Amount.meta({ description: 'Price per output token in currency units' }),
  })
  .meta({ id: 'ModelPricing' });
