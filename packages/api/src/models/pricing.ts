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

// Issue 14 part 5: media are billed by their own units. A model keeps its per-token prices (the
// contract) and may add these; each applies to the operations that deliver that unit. Stored as
// models.unit_prices (nano-units as decimal strings); see units.ts for how a call is priced.

const MAX_UNIT_PRICE_NANO = 10_000n * NANO_PER_UNIT;

const UnitPrice = (noun: string) =>
  amountInput({ zero: 'allowed', max: MAX_UNIT_PRICE_NANO, rangeMessage: `${noun} must be between 0 and 10000`, noun });

const ImageSize = z.string().regex(/^\d{1,5}x\d{1,5}$/, 'size must look like 1024x1024');
const ImageQuality = z.string().min(1).max(32);

export const UnitPricingInput = z.object({
  per_image: UnitPrice('price per image')
    .optional()
    .meta({ description: 'Price per generated or edited image in currency units', example: 0.04 }),
  per_image_by: z
    .array(z.object({ size: ImageSize.optional(), quality: ImageQuality.optional(), price: UnitPrice('price per image') }).strict())
    .max(32)
    .optional()
    .meta({ description: 'Prices per image by size and/or quality; the most specific match wins over per_image' }),
  per_second: UnitPrice('price per second')
    .optional()
    .meta({ description: 'Price per second of generated audio (speech) or video', example: 0.001 }),
  per_1k_characters: UnitPrice('price per 1000 characters')
    .optional()
    .meta({ description: 'Price per 1 000 characters of speech input', example: 0.015 }),
  per_minute: UnitPrice('price per minute').optional().meta({ description: 'Price per minute of transcribed audio', example: 0.006 }),
});

export const UnitPricing = z.object({
  per_image: Amount.optional(),
  per_image_by: z.array(z.object({ size: z.string().optional(), quality: z.string().optional(), price: Amount })).optional(),
  per_second: Amount.optional(),
  per_1k_characters: Amount.optional(),
  per_minute: Amount.optional(),
});

// A model may price input tokens read from the provider's prompt cache apart (issue 13 part 5); the
// provider floor has no such price, so these two extend the shared shapes rather than change them.

const CACHED_INPUT_PRICE =
  'Price per input token read from the prompt cache (OpenAI cached_tokens, Anthropic cache_read_input_tokens, Gemini cachedContentTokenCount); tokens written to a cache bill at input_tokens.';

export const ModelPricingInput = PricingInput.extend({
  ...UnitPricingInput.shape,
  cached_input_tokens: TokenPrice.nullable()
    .optional()
    .meta({
      description: `${CACHED_INPUT_PRICE} Absent or null: cached tokens bill at input_tokens. Pricing is replaced as a whole, so a PATCH of pricing without it removes it. Unless you are an admin it may not be below the input floor (min_price.input_tokens) of a provider the model routes to.`,
      example: 0.0000075,
    }),
}).strict();

export const ModelPricing = Pricing.extend({
  ...UnitPricing.shape,
  cached_input_tokens: Amount.optional().meta({
    description: `${CACHED_INPUT_PRICE} Present only when the model sets one; absent, cached tokens bill at input_tokens.`,
  }),
}).meta({ id: 'ModelPricing' });
