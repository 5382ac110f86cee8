import Stripe from 'stripe';
import type { StripeConfig } from '../core/config.js';
import { AppError } from '../core/errors.js';

/** Stripe counts CNY (and USD, EUR…) in cents: 1 minor unit = 10^7 nano. */
const NANO_PER_MINOR_UNIT = 10_000_000n;

export interface CheckoutRequest {
  topUpId: string;
  userId: string;
  amountNano: bigint;
  currency: string;
  /** Where Stripe sends the payer back after paying or giving up. */
  returnUrl: string;
}

export interface CheckoutSession {
  id: string;
  url: string | null;
}

/** The amount in Stripe's minor units, or null when it has finer digits than a cent. */
export function toMinorUnits(amountNano: bigint): bigint | null {
  return amountNano % NANO_PER_MINOR_UNIT === 0n ? amountNano / NANO_PER_MINOR_UNIT : null;
}

/**
 * Stripe Checkout for wallet top-ups: one Checkout Session per top-up (its id is the idempotency
 * key, so a retried create answers the same session), and the webhook's signature check. Built
 * once by create-platform.ts when MAAS_STRIPE_SECRET_KEY is set.
 */
export class StripeCheckout {
  readonly #stripe: Stripe;
  readonly #webhookSecret: string;

  constructor(config: StripeConfig) {
    this.#stripe = new Stripe(config.secretKey, {
      maxNetworkRetries: 1,
      timeout: 20_000,
      telemetry: false,
      appInfo: { name: 'maas-platform' },
      ...(config.apiBase ?? {}),
    });
    this.#webhookSecret = config.webhookSecret;
  }

  async createSession(request: CheckoutRequest): Promise<CheckoutSession> {
    const unitAmount = toMinorUnits(request.amountNano);
    if (unitAmount === null) throw new RangeError('Stripe amounts have at most 2 decimals');
    const metadata = { top_up_id: request.topUpId, user_id: request.userId };
    try {
      const session = await this.#stripe.checkout.sessions.create(
        {
          mode: 'payment',
          client_reference_id: request.topUpId,
          line_items: [
            {
              quantity: 1,
              price_data: {
                currency: request.currency.toLowerCase(),
                unit_amount: Number(unitAmount),
                product_data: { name: 'Wallet top-up' },
              },
            },
          ],
          metadata,
          payment_intent_data: { metadata },
          success_url: `${request.returnUrl}&status=success`,
          cancel_url: `${request.returnUrl}&status=cancelled`,
        },
        { idempotencyKey: `maas-${request.topUpId}` },
      );
      return { id: session.id, url: session.url };
    } catch (error) {
      throw new AppError('UPSTREAM_ERROR', { message: 'TOP_UP_PROVIDER_ERROR', cause: error });
    }
  }

  /** The event, once its `Stripe-Signature` matches the raw body; a 400 otherwise. */
  verifyEvent(payload: string, signature: string | undefined): Stripe.Event {
    if (!signature) throw new AppError('INVALID_REQUEST', { message: 'WEBHOOK_SIGNATURE_INVALID' });
    try {
      return this.#stripe.webhooks.constructEvent(payload, signature, this.#webhookSecret);
    } catch (error) {
      throw new AppError('INVALID_REQUEST', { message: 'WEBHOOK_SIGNATURE_INVALID', cause: error });
    }
  }
}

declare module '../core/platform.js' {
  interface Platform {
    /** Stripe Checkout for wallet top-ups; null when Stripe is not configured. */
    stripeCheckout: StripeCheckout | null;
  }
}
