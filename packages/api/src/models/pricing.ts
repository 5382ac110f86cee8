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
  .meta({ id: 'TokenPricing' });

// A model may price input tokens read from the provider's prompt cache apart (issue 13 part 5); the
// provider floor has no such price, so these two extend the shared shapes rather than change them.

const CACHED_INPUT_PRICE =
  'Price per input token read from the prompt cache (OpenAI cached_tokens, Anthropic cache_read_input_tokens, Gemini cachedContentTokenCount); tokens written to a cache bill at input_tokens.';

export const ModelPricingInput = PricingInput.extend({
  cached_input_tokens: TokenPrice.nullable()
    .optional()
    .meta({
      description: `${CACHED_INPUT_PRICE} Absent or null: cached tokens bill at input_tokens. Pricing is replaced as a whole, so a PATCH of pricing without it removes it. Unless you are an admin it may not be below the input floor (min_price.input_tokens) of a provider the model routes to.`,
      example: 0.0000075,
    }),
}).strict();

export const ModelPricing = Pricing.extend({
  cached_input_tokens: Amount.optional().meta({
    description: `${CACHED_INPUT_PRICE} Present only when the model sets one; absent, cached tokens bill at input_tokens.`,
  }),
}).meta({ id: 'ModelPricing' });
