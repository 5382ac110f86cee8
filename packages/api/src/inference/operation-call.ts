// One path for every operation other than chat (issue 14): resolve → key policy → operation check →
// the providers whose adapter can do it → reserve the worst case → failover → deliver → settle at
// what was delivered. Embeddings, images, speech and transcription call it as it is; video jobs
// prepare here and run in the job worker, funded by a reservation that outlives the request.
import type { Actor } from '../core/context.js';
import { AppError } from '../core/errors.js';
import type { Platform } from '../core/platform.js';
import type { ModelForCall } from '../models/call-resolver.js';
import type { AdapterContext, ProviderAdapter, ProviderTarget } from './adapter.js';
import { type CallOutcome, context, costOf, failedOutcome, failoverOptions, noUsage, resolveForCall, upstreamFailure } from './engine.js';
import { withFailover } from './failover.js';
import { type CallFunds, holdFunds, settleCall } from './settlement.js';
import type { Operation, Usage } from './types.js';
import { type BilledUnits, unitsCost } from './units.js';

export interface OperationCallInput {
  actor: Actor;
  /** The model's id or public name. */
  model: string;
  appId?: string | null;
  conversationId?: string | null;
  signal: AbortSignal;
  requestId: string;
}

export interface PreparedOperationCall {
  input: OperationCallInput;
  operation: Operation;
  model: ModelForCall['model'];
  /** Targets whose adapter can do the operation, in the model's order. */
  targets: ProviderTarget[];
  /** What was reserved: the worst case of the request. */
  reservedNano: bigint;
  funds: CallFunds;
  startedAt: number;
}

export interface PrepareOptions {
  /**
   * The worst case of the request at the model's prices (n × the dearest image, the requested
   * seconds, …). Called after the model is resolved; may throw a 400 for an out-of-range request.
   */
  reserve: (model: ModelForCall['model']) => bigint;
  /**
   * 'reservation' forces a per-call reservation in the database instead of this instance's wallet
   * lease: a job that another instance may finish (video) cannot settle this process's lease.
   */
  funding?: 'any' | 'reservation';
}

/** Resolves the model, checks it and one of its providers can do `operation`, and holds the worst case. */
export async function prepareOperationCall(
  platform: Platform,
  input: OperationCallInput,
  operation: Operation,
  options: PrepareOptions,
): Promise<PreparedOperationCall> {
  const { model, targets } = await resolveForCall(platform, input.actor, input.model, operation);
  const capable = targets.filter((target) => platform.inference.adapterFor(target.kind)?.operations.includes(operation) === true);
  if (capable.length === 0) {
    throw new AppError('INVALID_REQUEST', {
      message: 'PROVIDER_OPERATION_NOT_SUPPORTED',
      params: { model: model.name, operation },
      details: { field: 'model', model: model.name, operation },
    });
  }
  const reservedNano = options.reserve(model);
  const funds =
    options.funding === 'reservation'
      ? await holdFunds(platform, input.actor, input.appId ?? null, model.id, reservedNano, { leases: false })
      : await holdFunds(platform, input.actor, input.appId ?? null, model.id, reservedNano);
  return { input, operation, model, targets: capable, reservedNano, funds, startedAt: performance.now() };
}

/** What a delivered result is billed for: tokens (embeddings, a transcription's prompt) and/or units. */
export interface OperationBill {
  usage?: Partial<Pick<Usage, 'inputTokens' | 'outputTokens'>>;
  units?: BilledUnits;
}

export interface OperationSteps<R, D> {
  /** The adapter call, tried on each capable provider in turn until one answers. */
  attempt: (adapter: ProviderAdapter, target: ProviderTarget, ctx: AdapterContext) => Promise<R>;
  /**
   * What the caller gets, made from the provider's result (e.g. generated media stored as files).
   * It runs before settlement: if it throws, the call failed and costs nothing.
   */
  deliver: (result: R, target: ProviderTarget) => Promise<D>;
  /** What was delivered, in tokens and units. */
  bill: (result: R, delivered: D) => OperationBill;
}

/** Runs a prepared call to its end and settles it: at what was delivered, or at nothing if any step failed. */
export async function runOperationCall<R, D>(
  platform: Platform,
  call: PreparedOperationCall,
  steps: OperationSteps<R, D>,
): Promise<{ delivered: D; outcome: CallOutcome; target: ProviderTarget }> {
  try {
    const ctx = context(call, platform);
    const { result, target } = await withFailover(
      call.targets,
      (t) => {
        const adapter = platform.inference.adapterFor(t.kind);
        // prepareOperationCall kept only targets whose adapter does the operation.
        if (!adapter) throw new AppError('SERVICE_UNAVAILABLE', { message: 'MODEL_NO_ROUTE', params: { model: call.model.name } });
        return steps.attempt(adapter, t, ctx);
      },
      failoverOptions(platform, call),
    );
    const delivered = await steps.deliver(result, target);
    const outcome = billedOutcome(call, steps.bill(result, delivered), target.providerId);
    settleCall(platform, call, outcome);
    return { delivered, outcome, target };
  } catch (error) {
    settleCall(platform, call, failedOutcome(), error);
    throw upstreamFailure(error);
  }
}

/** The success outcome of a bill: tokens at the model's token prices plus units at their unit price. */
export function billedOutcome(call: Pick<PreparedOperationCall, 'model'>, bill: OperationBill, providerId: string | null): CallOutcome {
  const usage = { ...noUsage(), inputTokens: bill.usage?.inputTokens ?? 0, outputTokens: bill.usage?.outputTokens ?? 0 };
  const costNano = costOf(call.model, usage) + (bill.units ? unitsCost(bill.units) : 0n);
  return {
    status: 'success',
    content: '',
    toolCalls: [],
    usage,
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    costNano,
    providerId,
    finishReason: null,
    ...(bill.units ? { units: bill.units } : {}),
  };
}
