import type { Tool, ToolCallStatus, ToolFunctionJson, ToolVersion } from '@maas/db';
import { newId } from '../../core/ids.js';
import { nanoToAmount } from '../../core/money.js';
import type { Platform } from '../../core/platform.js';
import { decryptSecret } from '../../providers/secrets.js';
import { authorShare } from '../purchase.js';
import { checkArguments } from './arguments.js';
import type { ToolCallInput, ToolCallOutcome } from './contract.js';
import { callHttpTool } from './http-call.js';
import { callMcpFunction } from './mcp-client.js';
import { holdToolPrice, settleToolCall, type ToolCallRecordInput } from './settle.js';
import type { ToolTransportResult } from './transport.js';

/*
 * One call of one tool function (issue 16 part 3): entitlement, the version and its function, the
 * arguments against the schema, the price held, the tool called once, the outcome booked once.
 * Whatever goes wrong becomes a status and a short text the model can act on; only a database
 * failure throws.
 */

type CallableTool = Pick<
  Tool,
  'id' | 'author_id' | 'price_nano' | 'price_per_call_nano' | 'kind' | 'status' | 'deleted_at' | 'signing_secret_enc'
>;

async function loadTool(platform: Platform, toolId: string): Promise<CallableTool | undefined> {
  return platform.db
    .selectFrom('tools')
    .select(['id', 'author_id', 'price_nano', 'price_per_call_nano', 'kind', 'status', 'deleted_at', 'signing_secret_enc'])
    .where('id', '=', toolId)
    .executeTakeFirst();
}

async function loadVersion(platform: Platform, toolId: string, version: string): Promise<ToolVersion | undefined> {
  return platform.db
    .selectFrom('tool_versions')
    .selectAll()
    .where('tool_id', '=', toolId)
    .where('version', '=', version)
    .executeTakeFirst();
}

/**
 * Whether the payer may call the tool: its author always; anyone else while it is listed (not a
 * draft, not removed) and they hold a licence, or it is free (a purchase price of 0).
 */
async function isEntitled(platform: Platform, tool: CallableTool, payerId: string): Promise<boolean> {
  if (tool.author_id === payerId) return true;
  if (tool.deleted_at !== null || tool.status === 'draft') return false;
  if (tool.price_nano === 0n) return true;
  const licence = await platform.db
    .selectFrom('tool_licences')
    .select('order_id')
    .where('user_id', '=', payerId)
    .where('tool_id', '=', tool.id)
    .executeTakeFirst();
  return licence !== undefined;
}

function refusal(status: ToolCallStatus, content: string) {
  return { status, content, error: content };
}

/** Runs one tool call and books it. */
export async function runToolCall(platform: Platform, input: ToolCallInput): Promise<ToolCallOutcome> {
  const id = newId('tcall');
  const started = performance.now();
  const tool = await loadTool(platform, input.toolId);
  if (!tool) {
    // Nothing to record the call against (tool_calls.tool_id references the tool).
    const content = `The tool ${input.toolId} does not exist.`;
    return { id, status: 'refused', content, isError: true, costNano: 0n, latencyMs: Math.round(performance.now() - started) };
  }
  const record = (status: ToolCallStatus, error: string | null): ToolCallRecordInput => ({
    id,
    toolId: tool.id,
    version: input.version,
    functionName: input.functionName.slice(0, 200),
    payerId: input.actor.userId,
    authorId: tool.author_id,
    appId: input.appId,
    conversationId: input.conversationId,
    callId: input.callId,
    requestId: input.requestId,
    via: input.via,
    status,
    latencyMs: performance.now() - started,
    error,
  });
  const finish = async (status: ToolCallStatus, content: string, error: string | null, reservationId: string | null = null) => {
    const price = tool.price_per_call_nano;
    const settlement = {
      call: record(status, error),
      reservationId,
      priceNano: price,
      authorShareNano: authorShare(price, platform.config.platformFeePercent),
    };
    let costNano: bigint;
    try {
      costNano = (await settleToolCall(platform.db, settlement)).costNano;
    } catch {
      // The tool has answered; its booking must not be lost, nor its hold kept: settled again off
      // the response path until the database takes it (idempotent: the call id is the key).
      platform.background.run('settle-tool-call', () => settleToolCall(platform.db, settlement), 5, true);
      costNano = status === 'success' && reservationId !== null ? price : 0n;
    }
    return { id, status, content, isError: status !== 'success', costNano, latencyMs: Math.round(performance.now() - started) };
  };

  if (!(await isEntitled(platform, tool, input.actor.userId))) {
    const { status, content, error } = refusal('refused', 'You may not call this tool: buy it in the marketplace first.');
    return finish(status, content, error);
  }
  if (tool.kind === null) {
    const { status, content, error } = refusal('refused', 'This tool cannot be called: it is a listing without an endpoint.');
    return finish(status, content, error);
  }
  const version = await loadVersion(platform, tool.id, input.version);
  if (!version) return finish('error', `Version ${input.version} of this tool does not exist.`, 'unknown version');
  const fn: ToolFunctionJson | undefined = version.functions.find((candidate) => candidate.name === input.functionName);
  if (!fn) {
    const names = version.functions.map((candidate) => candidate.name).join(', ');
    return finish('invalid_arguments', `This tool has no function "${input.functionName}" (it has: ${names}).`, 'unknown function');
  }

  const checked = checkArguments(
    platform.toolRuntime.validators,
    `${tool.id}\u0000${version.version}\u0000${fn.name}`,
    fn.parameters,
    input.argumentsJson,
    input.fixedArguments,
  );
  if (!checked.ok) {
    if (checked.fault === 'schema') return finish('error', `The tool is misconfigured: ${checked.problem}.`, checked.problem);
    const content = `Invalid arguments for ${fn.name}: ${checked.problem}. Call it again with arguments that match its parameters.`;
    return finish('invalid_arguments', content, checked.problem);
  }

  if (input.signal.aborted) return finish('error', 'The call was cancelled before the tool was called.', 'cancelled');

  // The author calls their own tool for free; a free call needs no hold.
  const price = tool.author_id === input.actor.userId ? 0n : tool.price_per_call_nano;
  let reservationId: string | null = null;
  if (price > 0n) {
    reservationId = await holdToolPrice(platform, input.actor, tool.id, input.appId, price);
    if (reservationId === null) {
      const content = `Not enough balance to pay for this tool call (it costs ${nanoToAmount(price)}).`;
      return finish('insufficient_funds', content, 'insufficient funds');
    }
  }

  let result: ToolTransportResult;
  try {
    result = await callTool(platform, tool, version, fn.name, checked.arguments, input);
  } catch (error) {
    // Nothing above should throw; if it does, the hold still goes back and the call is recorded.
    result = { kind: 'error', message: error instanceof Error ? error.message : String(error) };
  }
  switch (result.kind) {
    case 'ok':
      if (result.isError) return finish('error', result.text, result.text.slice(0, 500), reservationId);
      return finish('success', result.text, null, reservationId);
    case 'timeout': {
      const seconds = platform.config.tools.timeoutMs / 1000;
      return finish('timeout', `The tool did not answer within ${seconds} seconds.`, 'timeout', reservationId);
    }
    case 'error':
      return finish('error', `The tool failed: ${result.message}`, result.message, reservationId);
  }
}

async function callTool(
  platform: Platform,
  tool: CallableTool,
  version: ToolVersion,
  functionName: string,
  args: Record<string, unknown>,
  input: ToolCallInput,
): Promise<ToolTransportResult> {
  const { timeoutMs, maxResponseBytes } = platform.config.tools;
  const timeoutSignal = AbortSignal.timeout(timeoutMs);
  const signal = AbortSignal.any([input.signal, timeoutSignal]);
  if (version.kind === 'mcp') {
    if (!version.server_url) return { kind: 'error', message: 'the tool version has no server URL' };
    return callMcpFunction(platform, {
      serverUrl: version.server_url,
      functionName,
      arguments: args,
      config: input.config,
      signal,
      timeoutSignal,
      timeoutMs,
      maxResponseBytes,
    });
  }
  if (!version.endpoint_url) return { kind: 'error', message: 'the tool version has no endpoint URL' };
  let signingSecret: string | null = null;
  if (tool.signing_secret_enc !== null) {
    try {
      signingSecret = decryptSecret(platform.config, tool.signing_secret_enc, tool.id);
    } catch {
      return { kind: 'error', message: "the tool's signing secret cannot be read" };
    }
  }
  return callHttpTool(platform.toolRuntime, {
    endpointUrl: version.endpoint_url,
    toolId: tool.id,
    version: version.version,
    functionName,
    arguments: args,
    callId: input.callId,
    config: input.config,
    requestId: input.requestId,
    signingSecret,
    signal,
    timeoutSignal,
    maxResponseBytes,
  });
}
