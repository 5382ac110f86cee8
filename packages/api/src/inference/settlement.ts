import { rebookReleasedReservation } from '../billing/crash-recovery.js';
import { reserveFunds, settleReservation, type UsageInput } from '../billing/reservations.js';
import type { ModelRevenue } from '../billing/model-revenue.js';
import type { LeaseHold } from '../billing/wallet-leases.js';
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import type { Platform } from '../core/platform.js';
import type { CallOutcome, ChatCallInput, PreparedChatCall } from './engine.js';
import { UpstreamError } from './errors.js';
import { unitsJson } from './units.js';

/** What settlement needs of a prepared call, whatever its operation. */
export type SettleableCall = Pick<PreparedChatCall, 'model' | 'funds' | 'startedAt'> & {
  input: Pick<ChatCallInput, 'actor' | 'appId' | 'conversationId' | 'requestId'>;
};

/** The call's worst case, held from the caller's wallet lease or reserved on its own. */
export type CallFunds = { kind: 'lease'; hold: LeaseHold } | { kind: 'reservation'; reservationId: string };

/** From the instance's wallet lease when one covers the call, else one exact reservation; 402 if neither. */
export async function holdFunds(
  platform: Platform,
  actor: Actor,
  appId: string | null,
  modelId: string,
  amountNano: bigint,
  options: { leases?: boolean } = {},
): Promise<CallFunds> {
  const hold = options.leases === false ? null : await platform.leases?.hold(actor.userId, actor.apiKeyId ?? null, amountNano);
  if (hold) return { kind: 'lease', hold };
  const reservation = await reserveFunds(platform.billingDb, {
    userId: actor.userId,
    amountNano,
    apiKeyId: actor.apiKeyId,
    modelId,
    appId,
    instanceId: platform.billingInstance.id,
  });
  if (!reservation) throw new AppError('PAYMENT_REQUIRED', { message: 'INSUFFICIENT_BALANCE_FOR_CALL' });
  return { kind: 'reservation', reservationId: reservation.reservationId };
}

/**
 * Books the outcome exactly once, off the response path (batched for leased calls); shutdown
 * waits for it. The actual cost is charged even above the hold (an under-estimate): the excess
 * comes from what the wallet has left, never below zero, and any remainder is recorded on the
 * usage row as uncollected.
 */
export function settleCall(platform: Platform, call: SettleableCall, outcome: CallOutcome, failure?: unknown): void {
  const { input } = call;
  const latencyMs = Math.round(performance.now() - call.startedAt);
  const error = failure === undefined ? undefined : messageOf(failure);
  // A client that went away is not a failure of the platform's; anything else that ended in an error is.
  if (failure !== undefined && outcome.status !== 'cancelled') reportFailure(platform, call, failure, latencyMs);
  platform.telemetry.modelCall({
    modelId: call.model.id,
    providerId: outcome.providerId,
    status: outcome.status,
    inputTokens: outcome.inputTokens,
    outputTokens: outcome.outputTokens,
    latencyMs,
  });
  if (outcome.status !== 'failed') platform.callCounts.add(call.model.id);
  const unitsText = outcome.units && outcome.status !== 'failed' ? JSON.stringify(unitsJson(outcome.units)) : null;
  const revenue = revenueOf(platform, call);
  const { funds } = call;
  if (funds.kind === 'lease') {
    platform.leases?.settle(funds.hold, {
      appId: input.appId ?? null,
      modelId: call.model.id,
      providerId: outcome.providerId,
      conversationId: input.conversationId ?? null,
      inputTokens: outcome.inputTokens,
      cachedInputTokens: outcome.usage.cachedInputTokens,
      outputTokens: outcome.outputTokens,
      units: unitsText,
      costNano: outcome.costNano,
      latencyMs,
      status: outcome.status,
      error: error ?? null,
      revenue,
    });
    return;
  }
  const usage: UsageInput = {
    userId: input.actor.userId,
    appId: input.appId ?? null,
    apiKeyId: input.actor.apiKeyId,
    modelId: call.model.id,
    providerId: outcome.providerId,
    conversationId: input.conversationId ?? null,
    inputTokens: outcome.inputTokens,
    cachedInputTokens: outcome.usage.cachedInputTokens,
    outputTokens: outcome.outputTokens,
    units: unitsText,
    latencyMs,
    status: outcome.status,
    error: error ?? null,
    revenue,
  };
  const settlement = { reservationId: funds.reservationId, actualCostNano: outcome.costNano, usage };
  // Journaled before the answer completes (a kill loses nothing); forgotten once booked. A booking
  // that never succeeds stays in the journal for the next start.
  const { journal } = platform.billingInstance;
  const journaled = journal?.append({ kind: 'reservation', reservationId: funds.reservationId, costNano: outcome.costNano, usage });
  platform.background.run(
    'settle-model-call',
    async () => {
      const settled = await settleReservation(platform.billingDb, settlement);
      // Released meanwhile (this instance was taken for dead): the call is still charged.
      if (settled?.alreadySettled) await rebookReleasedReservation(platform.billingDb, { ...settlement, costNano: outcome.costNano });
      // settleReservation is exactly-once, so retrying through an outage can never charge twice.
      if (journaled) journal?.done(journaled);
    },
    5,
    true,
  );
}

/** A model served from its owner's file shares each charge with its owner, less the platform fee (issue 15 part 5). */
function revenueOf(platform: Platform, call: SettleableCall): ModelRevenue | null {
  const ownerId = call.model.revenueOwnerId;
  if (!ownerId || ownerId === call.input.actor.userId) return null;
  return { ownerId, feePercent: platform.config.platformFeePercent };
}

/**
 * Every model call that failed reaches the host's log (at warn) with what an operator needs to act:
 * the request id, the model, the provider that failed last and its HTTP status.
 */
function reportFailure(platform: Platform, call: SettleableCall, failure: unknown, latencyMs: number): void {
  const upstream = upstreamCause(failure);
  platform.telemetry.modelCallFailed?.({
    requestId: call.input.requestId,
    model: call.model.name,
    providerId: upstream?.providerId || null,
    upstreamStatus: upstream?.status ?? null,
    kind: upstream?.kind ?? (failure instanceof AppError ? failure.code : 'internal'),
    message: messageOf(failure).slice(0, 300),
    latencyMs,
  });
}

function upstreamCause(failure: unknown): UpstreamError | null {
  let current: unknown = failure;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    if (current instanceof UpstreamError) return current;
    current = current.cause;
  }
  return null;
}

function messageOf(failure: unknown): string {
  if (failure instanceof Error) return failure.message;
  return typeof failure === 'string' ? failure : JSON.stringify(failure);
}
