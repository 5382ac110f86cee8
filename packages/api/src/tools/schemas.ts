import { z } from 'zod';
import { IdOf, PathIdOf } from '../core/ids.js';
import { Amount, amountInput, NANO_PER_UNIT } from '../core/money.js';
import { PageInput, pageOf } from '../core/pagination.js';
import { Timestamp } from '../core/time.js';

export const ToolId = IdOf('tool');
export const ToolStatus = z.enum(['draft', 'published', 'unlisted']);
/** A slug such as `development`; free-form so authors can open new shelves. */
export const ToolCategory = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'lower-case letters, digits and "-", at most 32');
export const PaymentMethod = z.enum(['balance', 'credit_card', 'alipay', 'wechat_pay']);

const MAX_PRICE_NANO = 1_000_000n * NANO_PER_UNIT;

/** A price in currency units: 0 (free) or positive, at most 9 decimals, at most 1 000 000. */
export const ToolPrice = amountInput({
  zero: 'allowed',
  max: MAX_PRICE_NANO,
  rangeMessage: 'price must be between 0 and 1000000',
  noun: 'price',
}).meta({ description: 'Price in currency units (0 = free, up to 9 decimals)', example: 9.99 });

export const ToolAuthor = z.object({ id: z.string(), username: z.string() });

export const Tool = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    category: z.string(),
    price: Amount,
    rating: z.number().meta({ description: 'Mean review rating rounded to 2 decimals; 0 without reviews' }),
    downloads: z.number().int(),
    author: ToolAuthor,
    created_at: Timestamp,
  })
  .meta({ id: 'Tool' });

export const ToolDetail = Tool.extend({
  version: z.string(),
  full_description: z.string(),
  status: ToolStatus,
  currency: z.string(),
  reviews_count: z.number().int(),
  owned: z.boolean().meta({ description: 'Whether the caller owns the tool; false when anonymous' }),
  updated_at: Timestamp,
}).meta({ id: 'ToolDetail' });

export const ToolSort = z.enum(['price', 'rating', 'downloads', 'created_at']);
export const SortOrder = z.enum(['asc', 'desc']);

export const ListToolsInput = PageInput.extend({
  category: ToolCategory.optional(),
  search: z.string().trim().max(100).optional(),
  sort: ToolSort.default('created_at'),
  order: SortOrder.optional().meta({ description: 'Defaults to asc for price, desc otherwise' }),
});
export const ToolList = pageOf(Tool);

const ToolFields = z.object({
  name: z.string().trim().min(1).max(100),
  description: z.string().trim().max(500),
  full_description: z.string().max(50_000),
  category: ToolCategory,
  price: ToolPrice,
  version: z.string().trim().min(1).max(32),
  status: ToolStatus,
});

export const CreateToolInput = ToolFields.extend({
  description: ToolFields.shape.description.default(''),
  full_description: ToolFields.shape.full_description.default(''),
  version: ToolFields.shape.version.default('1.0.0'),
  status: ToolStatus.default('published'),
}).strict();

export const ToolRef = z.object({ tool_id: PathIdOf('tool') });

export const UpdateToolInput = ToolFields.partial().extend(ToolRef.shape).strict();

export const DeletedTool = z.object({ id: z.string(), deleted: z.literal(true) });

export const BillingAddress = z.object({
  country: z.string().trim().min(2).max(64),
  city: z.string().trim().max(100).optional(),
  state: z.string().trim().max(100).optional(),
  postal_code: z.string().trim().max(32).optional(),
  line1: z.string().trim().max(200).optional(),
  line2: z.string().trim().max(200).optional(),
});

export const PurchaseInput = ToolRef.extend({
  payment_method: PaymentMethod,
  billing_address: BillingAddress.optional(),
}).strict();

/** Documentation only: the host passes the header to the service as `ctx.idempotencyKey`. */
export const PurchaseHeaders = z.object({
  'idempotency-key': z
    .string()
    .max(255)
    .optional()
    .meta({ description: 'Makes retries safe: a repeated key answers the first result (same order) instead of buying again' }),
});

export const ToolOrder = z
  .object({
    id: z.string(),
    tool_id: z.string(),
    amount: Amount,
    currency: z.string(),
    status: z.enum(['pending', 'completed', 'failed']),
    payment_method: PaymentMethod,
    created_at: Timestamp,
  })
  .meta({ id: 'ToolOrder' });
export const ToolOrderList = pageOf(ToolOrder);

export const OwnedTool = Tool.extend({ order_id: z.string(), acquired_at: Timestamp }).meta({ id: 'OwnedTool' });
export const OwnedToolList = pageOf(OwnedTool);

export const ToolReview = z
  .object({
    id: z.string(),
    tool_id: z.string(),
    rating: z.number().int(),
    text: z.string(),
    user: z.object({ id: z.string(), username: z.string(), avatar: z.string().nullable() }),
    created_at: Timestamp,
  })
  .meta({ id: 'ToolReview' });
export const ToolReviewList = pageOf(ToolReview);

export const CreateReviewInput = ToolRef.extend({
  rating: z.number().int().min(1).max(5),
  text: z.string().trim().max(5000).default(''),
}).strict();

export const ListReviewsInput = PageInput.extend(ToolRef.shape);
