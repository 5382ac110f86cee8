// STAND-IN (H3's branch): H2 owns this file; the lead keeps H2's version at merge. Enough of the
// runner for the chat loop's tests: parse, POST (signed) or MCP tools/call, record, price on success.
import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Platform } from '../../core/platform.js';
import { decryptSecret } from '../../providers/secrets.js';
import type { ToolCallInput, ToolCallOutcome, ToolCallStatus } from './contract.js';
import { signToolRequest } from './signing.js';

async function invoke(
  platform: Platform,
  input: ToolCallInput,
  target: { kind: string; endpoint_url: string | null; server_url: string | null; signing_secret_enc: string | null },
  args: Record<string, unknown>,
): Promise<{ status: ToolCallStatus; content: string }> {
  const signal = AbortSignal.any([input.signal, AbortSignal.timeout(30_000)]);
  if (target.kind === 'mcp') {
    const client = new Client({ name: 'maas', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(target.server_url!)));
    try {
      const result = await client.callTool({ name: input.functionName, arguments: args }, undefined, { signal });
      const content = (result.content as { type: string; text?: string }[]).map((c) => c.text ?? '').join('\n');
      return { status: result.isError ? 'error' : 'success', content };
    } finally {
      await client.close();
    }
  }
  const body = JSON.stringify({
    tool_id: input.toolId,
    version: input.version,
    function: input.functionName,
    arguments: args,
    call_id: input.callId,
    config: input.config,
  });
  const secret = target.signing_secret_enc ? decryptSecret(platform.config, target.signing_secret_enc, input.toolId) : '';
  const response = await fetch(target.endpoint_url!, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': input.requestId, ...signToolRequest(secret, body) },
    body,
    signal,
  });
  const text = await response.text();
  return response.ok ? { status: 'success', content: text } : { status: 'error', content: `tool failed with HTTP ${response.status}` };
}

export async function runToolCall(platform: Platform, input: ToolCallInput): Promise<ToolCallOutcome> {
  const started = performance.now();
  const tool = await platform.db
    .selectFrom('tools as t')
    .innerJoin('tool_versions as v', 'v.tool_id', 't.id')
    .select(['t.author_id', 't.price_per_call_nano', 't.signing_secret_enc', 'v.kind', 'v.endpoint_url', 'v.server_url'])
    .where('t.id', '=', input.toolId)
    .where('v.version', '=', input.version)
    .executeTakeFirstOrThrow();
  let outcome: { status: ToolCallStatus; content: string };
  try {
    const parsed: unknown = JSON.parse(input.argumentsJson || '{}');
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SyntaxError('not an object');
    outcome = input.signal.aborted
      ? { status: 'error', content: 'cancelled' }
      : await invoke(platform, input, tool, { ...(parsed as Record<string, unknown>), ...input.fixedArguments });
  } catch (error) {
    outcome =
      error instanceof SyntaxError
        ? { status: 'invalid_arguments', content: 'arguments must be a JSON object' }
        : { status: 'error', content: 'the tool failed' };
  }
  const costNano = outcome.status === 'success' ? tool.price_per_call_nano : 0n;
  const latencyMs = Math.round(performance.now() - started);
  const id = `tcall_${randomBytes(12).toString('hex')}`;
  await platform.db
    .insertInto('tool_calls')
    .values({
      id,
      tool_id: input.toolId,
      version: input.version,
      function_name: input.functionName,
      payer_id: input.actor.userId,
      author_id: tool.author_id,
      app_id: input.appId,
      conversation_id: input.conversationId,
      call_id: input.callId,
      request_id: input.requestId,
      via: input.via,
      status: outcome.status,
      latency_ms: latencyMs,
      cost_nano: costNano,
      author_credit_nano: 0n,
      error: outcome.status === 'success' ? null : outcome.content,
    })
    .execute();
  return { id, ...outcome, isError: outcome.status !== 'success', costNano, latencyMs };
}
