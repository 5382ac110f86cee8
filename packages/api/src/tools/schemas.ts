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

/** `http`: a signed JSON POST to `endpoint_url`; `mcp`: a remote MCP server (Streamable HTTP). */
export const ToolKind = z.enum(['http', 'mcp']);

/** Charged on each successful call, on top of the one-time `price`. */
export const ToolPricePerCall = amountInput({
  zero: 'allowed',
  max: MAX_PRICE_NANO,
  rangeMessage: 'price_per_call must be between 0 and 1000000',
  noun: 'price_per_call',
}).meta({ description: 'Price of each successful call in currency units (0 = free, up to 9 decimals)', example: 0.01 });

const JsonSchemaObject = z.record(z.string(), z.unknown()).meta({ description: 'A JSON Schema object ("type": "object")' });

export const ToolFunction = z
  .object({
    name: z.string().meta({ description: '^[a-zA-Z0-9_-]{1,64}$, unique within the version' }),
    description: z.string(),
    parameters: JsonSchemaObject,
  })
  .meta({ id: 'ToolFunction' });

const ToolFunctionInput = z.object({
  name: z.string().max(64),
  description: z.string().max(4096).default(''),
  parameters: JsonSchemaObject,
});

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
    kind: ToolKind.nullable().meta({ description: 'null: a listing-only tool (it can be bought, not called)' }),
    price_per_call: Amount.meta({ description: 'Charged on each successful call, on top of `price`' }),
    calls_30d: z.number().int().meta({ description: 'Successful calls in the last 30 days' }),
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
  functions: z.array(ToolFunction).meta({ description: 'The functions of the current version ([] for a listing-only tool)' }),
  config_schema: JsonSchemaObject.nullable().meta({
    description: 'What an installer supplies; properties with "secret": true (or "writeOnly": true) are stored encrypted and never shown',
  }),
  versions_count: z.number().int(),
}).meta({ id: 'ToolDetail' });

/** The create answer: the only time the signing secret is shown (rotate it to get a new one). */
export const CreatedTool = ToolDetail.extend({
  signing_secret: z.string().meta({ description: 'HMAC-SHA256 key the platform signs calls with; shown once' }),
}).meta({ id: 'CreatedTool' });

export const ToolSigningSecret = z.object({ tool_id: z.string(), signing_secret: z.string() }).meta({ id: 'ToolSigningSecret' });

export const ToolSort = z.enum(['price', 'rating', 'downloads', 'created_at', 'calls_30d']);
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

/** What a version runs: an http endpoint with functions (typed or imported from OpenAPI), or an MCP server. */
const ToolDefinitionFields = z.object({
  kind: ToolKind,
  endpoint_url: z.string().max(2048).optional().meta({ description: 'http: where calls are POSTed (defaults to the OpenAPI servers[0])' }),
  functions: z.array(ToolFunctionInput).max(64).optional().meta({ description: 'http: the functions, unless `openapi` is given' }),
  openapi: z.record(z.string(), z.unknown()).optional().meta({
    description: 'http: an OpenAPI 3 document; each operation with an operationId becomes a function',
  }),
  server_url: z.string().max(2048).optional().meta({ description: 'mcp: the Streamable HTTP URL; its tools/list is read at publish' }),
});

export const CreateToolInput = ToolFields.extend({
  description: ToolFields.shape.description.default(''),
  full_description: ToolFields.shape.full_description.default(''),
  version: ToolFields.shape.version.default('1.0.0'),
  status: ToolStatus.default('published'),
  price_per_call: ToolPricePerCall.optional(),
  config_schema: JsonSchemaObject.optional(),
  ...ToolDefinitionFields.partial().shape,
}).strict();

export const ToolRef = z.object({ tool_id: PathIdOf('tool') });

export const UpdateToolInput = ToolFields.partial()
  .extend({
    version: ToolFields.shape.version.optional().meta({
      description: 'For a callable tool, an existing version to make current (publish new ones with POST /tools/{tool_id}/versions)',
    }),
    price_per_call: ToolPricePerCall.optional(),
    config_schema: JsonSchemaObject.nullable().optional(),
  })
  .extend(ToolRef.shape)
  .strict();

export const PublishVersionInput = ToolRef.extend({
  version: ToolFields.shape.version,
  ...ToolDefinitionFields.shape,
  kind: ToolKind.optional().meta({ description: "Defaults to the tool's current kind" }),
}).strict();

export const ToolVersion = z
  .object({
    tool_id: z.string(),
    version: z.string(),
    kind: ToolKind,
    endpoint_url: z.string().nullable(),
    server_url: z.string().nullable(),
    functions: z.array(ToolFunction),
    current: z.boolean(),
    created_at: Timestamp,
  })
  .meta({ id: 'ToolVersion' });
export const ToolVersionList = pageOf(ToolVersion);
export const ListVersionsInput = PageInput.extend(ToolRef.shape);

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

/** At most this many tools per application: each adds functions to every model call of the app. */
export const MAX_APP_TOOLS = 16;

export const AppToolInput = z
  .object({
    tool_id: IdOf('tool'),
    version: z
      .string()
      .trim()
      .min(1)
      .max(32)
      .optional()
      .meta({ description: "Pin a version; omitted: the tool's current version at each call" }),
    config: z.record(z.string(), z.unknown()).default({}).meta({ description: "Validated against the tool's config_schema" }),
    fixed_arguments: z
      .record(z.string(), z.unknown())
      .default({})
      .meta({ description: 'Arguments injected on every call, removed from the schema the model sees' }),
  })
  .strict();

export const AppRef = z.object({ app_id: PathIdOf('app') });

export const SetAppToolsInput = AppRef.extend({
  tools: z
    .array(AppToolInput)
    .max(MAX_APP_TOOLS)
    .meta({
      description: `The whole set (replaces the current one; [] detaches all), at most ${MAX_APP_TOOLS}. A secret config field left out keeps its stored value`,
    }),
}).strict();

export const AppTool = z
  .object({
    tool_id: z.string(),
    name: z.string(),
    kind: ToolKind,
    version: z.string().nullable().meta({ description: 'The pinned version; null follows the current one' }),
    resolved_version: z.string(),
    config: z.record(z.string(), z.unknown()).meta({ description: 'The non-secret config fields' }),
    secret_fields_set: z.array(z.string()).meta({ description: 'Secret config fields that hold a value (never shown)' }),
    fixed_arguments: z.record(z.string(), z.unknown()),
    price_per_call: Amount,
    functions: z.array(z.object({ name: z.string(), exposed_name: z.string() })),
  })
  .meta({ id: 'AppTool' });
export const AppToolList = z.object({ app_id: z.string(), data: z.array(AppTool) }).meta({ id: 'AppToolList' });
