// The server-side function-calling loop (issue 16 part 4): the app's tools are offered to the model
// under their exposed names; when the model calls them the platform runs the calls (a round's calls
// in parallel), appends the assistant's calls and the results, and calls the model again, until it
// answers or MAAS_TOOL_MAX_ROUNDS rounds of calls have run. Every model round is a normal billed
// call through the engine. Used by app chat (JSON, SSE, tRPC) and by `model: "app_<id>"` on /v1.
import type { Actor } from '../core/context.js';
import type { Platform } from '../core/platform.js';
import { type CallOutcome, completeChatCall, type PreparedChatCall, prepareChatCall, streamChatCall } from '../inference/engine.js';
import { countTextTokens } from '../inference/token-count.js';
import type { FunctionTool, Message, ToolCall } from '../inference/types.js';
import { loadAppToolBindings } from '../tools/runtime/attachments.js';
import type { AppToolBinding, ModelFacingFunction, ToolCallOutcome, ToolCallStatus } from '../tools/runtime/contract.js';
import { runToolCall } from '../tools/runtime/run.js';

/** Where the loop gets the app's tools and runs a call: the runtime's two functions, behind one seam. */
export interface ToolRunner {
  bindings(platform: Platform, appId: string): Promise<AppToolBinding[]>;
  run: typeof runToolCall;
}

export const platformToolRunner: ToolRunner = { bindings: loadAppToolBindings, run: runToolCall };

/** The app's functions as offered to the model, and how an exposed name leads back to its tool. */
export interface ToolCatalog {
  tools: FunctionTool[];
  byName: Map<string, { binding: AppToolBinding; fn: ModelFacingFunction }>;
}

export function toolCatalog(bindings: readonly AppToolBinding[]): ToolCatalog {
  const byName = new Map<string, { binding: AppToolBinding; fn: ModelFacingFunction }>();
  const tools: FunctionTool[] = [];
  for (const binding of bindings) {
    for (const fn of binding.functions) {
      byName.set(fn.exposedName, { binding, fn });
      // Only the exposed schema reaches the model: never the installer's config or fixed arguments.
      tools.push({ name: fn.exposedName, description: fn.description, parameters: fn.parameters });
    }
  }
  return { tools, byName };
}

export type ToolLoopFinish = 'stop' | 'length' | 'content_filter' | 'max_tool_rounds' | 'cancelled';

/** What a client is told about one tool call. */
export interface ToolCallReport {
  call_id: string;
  tool_id: string | null;
  function: string;
  arguments: string;
  status: ToolCallStatus;
  costNano: bigint;
  latency_ms: number;
}

export type ToolLoopEvent =
  | { type: 'delta'; content: string }
  | { type: 'tool_call'; call_id: string; tool_id: string | null; function: string; arguments: string }
  | { type: 'tool_result'; call_id: string; status: ToolCallStatus; costNano: bigint; latency_ms: number };

/** A step to keep in the conversation: an assistant turn that called tools, or a tool's result. */
export type ToolLoopStep =
  | { role: 'assistant'; content: string; toolCalls: ToolCall[]; tokens: number }
  | { role: 'tool'; content: string; toolCallId: string; tokens: number };

/** The loop's running totals; the caller keeps it, so a failure mid-loop still knows what was spent and done. */
export interface ToolLoopState {
  steps: ToolLoopStep[];
  calls: ToolCallReport[];
  modelCostNano: bigint;
  toolCostNano: bigint;
  inputTokens: number;
  outputTokens: number;
  /** The last model round's outcome (its text is the answer). */
  last: CallOutcome | null;
  /** Set once the loop ended normally. */
  finish: ToolLoopFinish | null;
}

export function newToolLoopState(): ToolLoopState {
  return { steps: [], calls: [], modelCostNano: 0n, toolCostNano: 0n, inputTokens: 0, outputTokens: 0, last: null, finish: null };
}

export interface ToolLoopOptions {
  /** Round one, prepared (funds held) by the caller; later rounds are prepared like it. */
  first: PreparedChatCall;
  catalog: ToolCatalog;
  runner: ToolRunner;
  stream: boolean;
  maxRounds: number;
  actor: Actor;
  appId: string;
  conversationId: string | null;
  requestId: string;
  /** The client's signal: once aborted, no tool is called and no model round started. */
  signal: AbortSignal;
}

/** One billed model call; streamed text goes out as deltas as it comes. */
async function* modelRound(platform: Platform, call: PreparedChatCall, stream: boolean, state: ToolLoopState) {
  if (!stream) {
    const { outcome } = await completeChatCall(platform, call);
    account(state, outcome);
    return outcome;
  }
  const streaming = await streamChatCall(platform, call);
  let failure: unknown;
  try {
    for await (const event of streaming.events) {
      if (event.type === 'text' && event.index === 0 && event.text) yield { type: 'delta' as const, content: event.text };
    }
  } catch (error) {
    failure = error;
  }
  const outcome = await streaming.outcome;
  account(state, outcome);
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error('model round failed', { cause: failure });
  return outcome;
}

function account(state: ToolLoopState, outcome: CallOutcome): void {
  state.last = outcome;
  state.modelCostNano += outcome.costNano;
  state.inputTokens += outcome.inputTokens;
  state.outputTokens += outcome.outputTokens;
}

function unknownTool(call: ToolCall): ToolCallOutcome {
  return { id: '', status: 'refused', content: `No tool named ${call.name} is available.`, isError: true, costNano: 0n, latencyMs: 0 };
}

/**
 * Runs the loop, yielding `tool_call`, `tool_result` and `delta` events as they happen, and keeping
 * its totals and steps in `state`. A failed model round throws (after `state` took what it cost).
 */
export async function* runToolLoop(platform: Platform, options: ToolLoopOptions, state: ToolLoopState): AsyncGenerator<ToolLoopEvent> {
  const { first, catalog, runner, signal } = options;
  const messages: Message[] = [...first.input.request.messages];
  let call = first;
  for (let round = 0; ; round++) {
    if (round > 0) {
      call = await prepareChatCall(platform, { ...first.input, request: { ...first.input.request, messages: [...messages] } });
    }
    const outcome = yield* modelRound(platform, call, options.stream, state);
    if (outcome.status === 'cancelled' || signal.aborted) {
      state.finish = 'cancelled';
      return;
    }
    if (outcome.toolCalls.length === 0) {
      state.finish = outcome.finishReason === 'length' || outcome.finishReason === 'content_filter' ? outcome.finishReason : 'stop';
      return;
    }
    // The model asked for more calls than the platform allows: it answers with what it has.
    if (round >= options.maxRounds) {
      state.finish = 'max_tool_rounds';
      return;
    }
    const calls = outcome.toolCalls;
    const targets = calls.map((c) => catalog.byName.get(c.name));
    for (const [i, c] of calls.entries()) {
      const target = targets[i];
      yield {
        type: 'tool_call',
        call_id: c.id,
        tool_id: target?.binding.toolId ?? null,
        function: target?.fn.name ?? c.name,
        arguments: c.arguments,
      };
    }
    const results = await Promise.all(
      calls.map(async (c, i) => {
        const target = targets[i];
        if (!target) return unknownTool(c);
        return runner.run(platform, {
          actor: options.actor,
          toolId: target.binding.toolId,
          version: target.binding.version,
          functionName: target.fn.name,
          argumentsJson: c.arguments,
          callId: c.id,
          appId: options.appId,
          conversationId: options.conversationId,
          config: target.binding.config,
          fixedArguments: target.binding.fixedArguments,
          via: 'app',
          requestId: options.requestId,
          signal,
        });
      }),
    );
    const assistant: Message = {
      role: 'assistant',
      content: outcome.content ? [{ type: 'text', text: outcome.content }] : null,
      toolCalls: calls,
    };
    messages.push(assistant);
    state.steps.push({
      role: 'assistant',
      content: outcome.content,
      toolCalls: calls,
      tokens: countTextTokens(outcome.content + calls.map((c) => c.name + c.arguments).join('')),
    });
    for (const [i, c] of calls.entries()) {
      const result = results[i]!;
      state.toolCostNano += result.costNano;
      state.calls.push({
        call_id: c.id,
        tool_id: targets[i]?.binding.toolId ?? null,
        function: targets[i]?.fn.name ?? c.name,
        arguments: c.arguments,
        status: result.status,
        costNano: result.costNano,
        latency_ms: result.latencyMs,
      });
      messages.push({ role: 'tool', content: [{ type: 'text', text: result.content }], toolCallId: c.id });
      state.steps.push({ role: 'tool', content: result.content, toolCallId: c.id, tokens: countTextTokens(result.content) });
      yield { type: 'tool_result', call_id: c.id, status: result.status, costNano: result.costNano, latency_ms: result.latencyMs };
    }
    if (signal.aborted) {
      state.finish = 'cancelled';
      return;
    }
  }
}
