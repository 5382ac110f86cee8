/*
 * Issue 15 part 5: a call to a model a user serves from their own file credits that owner what the
 * call was charged, less the platform fee (MAAS_PLATFORM_FEE_PERCENT, the marketplace's). The credit
 * is booked by the very statement that books the caller's charge (settleReservation,
 * settleLeaseCalls, collectLeaseExcess), so it happens exactly when the charge does: once, or
 * never, whatever crashes and journal replays come between. The owner's `model_revenue` ledger
 * entry names the model in reference_id and the call's usage record in its reason.
 *
 * Rounding, in integer nano-units: the fee is `charged × fee% / 100` truncated, and the owner gets
 * the rest (`charged − fee`), as a tool's author does; the platform keeps exactly the fee. A charge
 * booked in two steps (an under-estimated call whose excess is collected later) is credited per step.
 */

/** Who a call's charge is shared with, and the platform's cut. */
export interface ModelRevenue {
  ownerId: string;
  /** Whole percent, 0–100. */
  feePercent: number;
}

/** The owner's share of a charge: what is left after the platform's fee (the fee rounded down). */
export function ownerShare(chargedNano: bigint, feePercent: number): bigint {
  if (chargedNano <= 0n) return 0n;
  return chargedNano - (chargedNano * BigInt(feePercent)) / 100n;
}

/** The fee as the SQL statements take it: a whole percent within 0–100. */
export function feeOf(revenue: ModelRevenue | null | undefined): number {
  if (!revenue) return 0;
  return Math.min(100, Math.max(0, Math.trunc(revenue.feePercent)));
}
