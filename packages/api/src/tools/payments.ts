import type { BillingAddressJson, ToolPaymentMethod } from '@maas/db';
import type { PlatformConfig } from '../core/config.js';
import { randomSecret } from '../core/ids.js';

/** Methods paid outside the platform wallet, through a payment provider. */
export type ExternalPaymentMethod = Exclude<ToolPaymentMethod, 'balance'>;

export interface ChargeRequest {
  orderId: string;
  amountNano: bigint;
  currency: string;
  method: ExternalPaymentMethod;
  billingAddress: BillingAddressJson | null;
}

export interface ChargeResult {
  status: 'succeeded' | 'failed';
  /** The provider's id for the charge, kept on the order for reconciliation. */
  reference: string;
}

/**
 * A card / wallet payment gateway. `charge` must be idempotent per `orderId` (real gateways take it
 * as their idempotency key), because a purchase may be retried after a crash.
 */
export interface PaymentProvider {
  readonly name: string;
  readonly methods: readonly ExternalPaymentMethod[];
  charge(request: ChargeRequest): Promise<ChargeResult>;
}

/** Billing line that makes the sandbox decline, so the failure path can be exercised end to end. */
const SANDBOX_DECLINE_LINE = 'sandbox-decline';

/** Approves every test payment (except the decline marker) without moving real money. */
const sandboxPaymentProvider: PaymentProvider = {
  name: 'sandbox',
  methods: ['credit_card', 'alipay', 'wechat_pay'],
  async charge(request) {
    const declined = request.billingAddress?.line1 === SANDBOX_DECLINE_LINE;
    return { status: declined ? 'failed' : 'succeeded', reference: `sandbox_${request.orderId}_${randomSecret(5)}` };
  },
};

/**
 * Which gateway takes which external method. Real gateways are given when the platform is
 * assembled and take precedence over the sandbox for their methods; the sandbox answers the rest
 * only when the configuration allows it (never in production).
 */
export class PaymentProviders {
  readonly #byMethod = new Map<ExternalPaymentMethod, PaymentProvider>();

  constructor(
    private readonly config: Pick<PlatformConfig, 'paymentSandbox'>,
    providers: readonly PaymentProvider[] = [],
  ) {
    for (const provider of providers) for (const method of provider.methods) this.#byMethod.set(method, provider);
  }

  /** The provider that handles `method`, or null when none is configured. */
  providerFor(method: ExternalPaymentMethod): PaymentProvider | null {
    return this.#byMethod.get(method) ?? (this.config.paymentSandbox ? sandboxPaymentProvider : null);
  }
}

declare module '../core/platform.js' {
  interface Platform {
    /** Payment gateways for tool purchases paid outside the wallet. */
    payments: PaymentProviders;
  }
}
