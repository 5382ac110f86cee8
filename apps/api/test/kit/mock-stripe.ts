// A strict stand-in for Stripe's API (only what wallet top-ups call): it checks the secret key,
// the form encoding, the API version header and every parameter of a Checkout Session create the
// way Stripe does (unknown parameters are refused), and keeps Stripe's idempotency semantics.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface MockCheckoutSession {
  id: string;
  object: 'checkout.session';
  amount_total: number;
  currency: string;
  client_reference_id: string | null;
  metadata: Record<string, string>;
  mode: string;
  payment_status: 'paid' | 'unpaid';
  status: 'open' | 'complete' | 'expired';
  url: string;
  success_url: string | null;
  cancel_url: string | null;
}

export interface MockStripe {
  /** `MAAS_STRIPE_API_BASE` for the platform. */
  url: string;
  secretKey: string;
  sessions: Map<string, MockCheckoutSession>;
  /** Every request as received, refused or not. */
  requests: { method: string; path: string; status: number; idempotencyKey: string | undefined; body: unknown }[];
  /** The next creates answer 500 (a Stripe outage). */
  failNext(count: number): void;
  close(): Promise<void>;
}

type Form = { [key: string]: string | Form };

const SESSION_PARAMS = new Set([
  'mode',
  'line_items',
  'success_url',
  'cancel_url',
  'client_reference_id',
  'metadata',
  'payment_intent_data',
  'customer_email',
  'expires_at',
  'locale',
  'payment_method_types',
]);
const LINE_ITEM_PARAMS = new Set(['quantity', 'price', 'price_data']);
const PRICE_DATA_PARAMS = new Set(['currency', 'unit_amount', 'unit_amount_decimal', 'product', 'product_data', 'tax_behavior']);
const PAYMENT_INTENT_DATA_PARAMS = new Set(['metadata', 'description', 'statement_descriptor', 'receipt_email']);

class StripeError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

/** `a[b][0][c]=v` as Stripe's form encoding writes nested parameters. */
function parseForm(text: string): Form {
  const root: Form = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const path = key.replace(/\]/g, '').split('[');
    let node = root;
    for (const [index, part] of path.entries()) {
      if (index === path.length - 1) {
        if (part in node) throw new StripeError(400, 'invalid_request_error', `Duplicate parameter: ${key}`, key);
        node[part] = value;
      } else {
        const next = node[part] ?? {};
        if (typeof next === 'string') throw new StripeError(400, 'invalid_request_error', `Invalid object: ${key}`, key);
        node[part] = next;
        node = next;
      }
    }
  }
  return root;
}

function refuseUnknown(object: Form, allowed: Set<string>, prefix: string): void {
  for (const key of Object.keys(object)) {
    if (!allowed.has(key))
      throw new StripeError(400, 'invalid_request_error', `Received unknown parameter: ${prefix}${key}`, `${prefix}${key}`);
  }
}

function objectAt(form: Form, key: string, param: string): Form {
  const value = form[key];
  if (value === undefined) return {};
  if (typeof value === 'string') throw new StripeError(400, 'invalid_request_error', `Invalid object: ${param}`, param);
  return value;
}

function stringAt(form: Form, key: string, param: string): string | undefined {
  const value = form[key];
  if (value !== undefined && typeof value !== 'string')
    throw new StripeError(400, 'invalid_request_error', `Invalid string: ${param}`, param);
  return value;
}

function integerAt(form: Form, key: string, param: string, min: number): number {
  const raw = stringAt(form, key, param);
  if (raw === undefined) throw new StripeError(400, 'invalid_request_error', `Missing required param: ${param}.`, param);
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new StripeError(400, 'invalid_request_error', `Invalid integer: ${raw}`, param);
  return Number(raw);
}

function checkMetadata(metadata: Form, param: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string' || key.length > 40 || value.length > 500) {
      throw new StripeError(400, 'invalid_request_error', `Invalid metadata: ${param}[${key}]`, `${param}[${key}]`);
    }
    result[key] = value;
  }
  return result;
}

function checkUrl(value: string | undefined, param: string): void {
  if (value === undefined) return;
  try {
    new URL(value);
  } catch {
    throw new StripeError(400, 'invalid_request_error', `Not a valid URL`, param);
  }
}

function createSession(form: Form): MockCheckoutSession {
  refuseUnknown(form, SESSION_PARAMS, '');
  const mode = stringAt(form, 'mode', 'mode');
  if (mode !== 'payment' && mode !== 'setup' && mode !== 'subscription') {
    throw new StripeError(400, 'invalid_request_error', 'Missing required param: mode.', 'mode');
  }
  const lineItems = objectAt(form, 'line_items', 'line_items');
  const indexes = Object.keys(lineItems);
  if (mode === 'payment' && indexes.length === 0) {
    throw new StripeError(400, 'invalid_request_error', '`line_items` is required in `payment` mode.', 'line_items');
  }
  let amountTotal = 0;
  let currency: string | undefined;
  indexes.forEach((index, position) => {
    if (index !== String(position)) throw new StripeError(400, 'invalid_request_error', 'Invalid array', 'line_items');
    const item = objectAt(lineItems, index, `line_items[${index}]`);
    refuseUnknown(item, LINE_ITEM_PARAMS, `line_items[${index}][`);
    const quantity = integerAt(item, 'quantity', `line_items[${index}][quantity]`, 1);
    const priceData = objectAt(item, 'price_data', `line_items[${index}][price_data]`);
    refuseUnknown(priceData, PRICE_DATA_PARAMS, `line_items[${index}][price_data][`);
    const itemCurrency = stringAt(priceData, 'currency', `line_items[${index}][price_data][currency]`);
    if (!itemCurrency || !/^[a-z]{3}$/.test(itemCurrency)) {
      throw new StripeError(400, 'invalid_request_error', 'Invalid currency', `line_items[${index}][price_data][currency]`);
    }
    const unitAmount = integerAt(priceData, 'unit_amount', `line_items[${index}][price_data][unit_amount]`, 0);
    if (unitAmount > 99_999_999) throw new StripeError(400, 'invalid_request_error', 'Amount too large', 'unit_amount');
    const product = objectAt(priceData, 'product_data', `line_items[${index}][price_data][product_data]`);
    if (!stringAt(product, 'name', 'product_data[name]')) {
      throw new StripeError(400, 'invalid_request_error', 'Missing required param: product_data[name].', 'product_data[name]');
    }
    if (currency && currency !== itemCurrency) throw new StripeError(400, 'invalid_request_error', 'Currencies must match', 'currency');
    currency = itemCurrency;
    amountTotal += unitAmount * quantity;
  });
  const paymentIntentData = objectAt(form, 'payment_intent_data', 'payment_intent_data');
  refuseUnknown(paymentIntentData, PAYMENT_INTENT_DATA_PARAMS, 'payment_intent_data[');
  checkMetadata(objectAt(paymentIntentData, 'metadata', 'payment_intent_data[metadata]'), 'payment_intent_data[metadata]');
  const successUrl = stringAt(form, 'success_url', 'success_url');
  const cancelUrl = stringAt(form, 'cancel_url', 'cancel_url');
  checkUrl(successUrl, 'success_url');
  checkUrl(cancelUrl, 'cancel_url');
  const clientReferenceId = stringAt(form, 'client_reference_id', 'client_reference_id') ?? null;
  if (clientReferenceId !== null && clientReferenceId.length > 200) {
    throw new StripeError(400, 'invalid_request_error', 'client_reference_id is too long', 'client_reference_id');
  }
  const id = `cs_test_${randomBytes(24).toString('hex')}`;
  return {
    id,
    object: 'checkout.session',
    amount_total: amountTotal,
    currency: currency ?? 'usd',
    client_reference_id: clientReferenceId,
    metadata: checkMetadata(objectAt(form, 'metadata', 'metadata'), 'metadata'),
    mode,
    payment_status: 'unpaid',
    status: 'open',
    url: `https://checkout.stripe.com/c/pay/${id}`,
    success_url: successUrl ?? null,
    cancel_url: cancelUrl ?? null,
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startMockStripe(secretKey = `sk_test_${randomBytes(12).toString('hex')}`): Promise<MockStripe> {
  const sessions = new Map<string, MockCheckoutSession>();
  const requests: MockStripe['requests'] = [];
  const idempotent = new Map<string, { body: string; status: number; response: unknown }>();
  let failures = 0;

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    void (async () => {
      const text = await readBody(request);
      const path = (request.url ?? '').split('?')[0] ?? '';
      const idempotencyKey = request.headers['idempotency-key'] as string | undefined;
      const answer = (status: number, body: unknown) => {
        requests.push({ method: request.method ?? '', path, status, idempotencyKey, body: text });
        response.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${randomBytes(6).toString('hex')}` });
        response.end(JSON.stringify(body));
      };
      try {
        if (request.headers.authorization !== `Bearer ${secretKey}`) {
          throw new StripeError(401, 'invalid_request_error', 'Invalid API Key provided');
        }
        if (!request.headers['stripe-version']) throw new StripeError(400, 'invalid_request_error', 'Missing Stripe-Version header');
        if (request.method === 'GET' && path.startsWith('/v1/checkout/sessions/')) {
          const session = sessions.get(path.slice('/v1/checkout/sessions/'.length));
          if (!session) throw new StripeError(404, 'invalid_request_error', 'No such checkout.session');
          return answer(200, session);
        }
        if (request.method !== 'POST' || path !== '/v1/checkout/sessions') {
          throw new StripeError(404, 'invalid_request_error', `Unrecognized request URL (${request.method}: ${path})`);
        }
        if (!request.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
          throw new StripeError(400, 'invalid_request_error', 'Invalid request: content type must be application/x-www-form-urlencoded');
        }
        if (!idempotencyKey) throw new StripeError(400, 'invalid_request_error', 'This mock requires an Idempotency-Key on creates');
        const earlier = idempotent.get(idempotencyKey);
        if (earlier) {
          if (earlier.body !== text) {
            throw new StripeError(
              400,
              'idempotency_error',
              'Keys for idempotent requests can only be used with the same parameters they were first used with.',
            );
          }
          return answer(earlier.status, earlier.response);
        }
        if (failures > 0) {
          failures--;
          throw new StripeError(500, 'api_error', 'An unknown error occurred');
        }
        const session = createSession(parseForm(text));
        sessions.set(session.id, session);
        idempotent.set(idempotencyKey, { body: text, status: 200, response: session });
        return answer(200, session);
      } catch (error) {
        if (error instanceof StripeError) {
          return answer(error.status, {
            error: { type: error.type, message: error.message, ...(error.param ? { param: error.param } : {}) },
          });
        }
        return answer(500, { error: { type: 'api_error', message: String(error) } });
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    secretKey,
    sessions,
    requests,
    failNext: (count) => {
      failures = count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
