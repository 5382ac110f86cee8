import type { IncomingMessage, ServerResponse } from 'node:http';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { Actor } from '../../core/context.js';
import { nanoToAmount } from '../../core/money.js';
import type { Platform } from '../../core/platform.js';
import { listMcpFunctionsFor, type McpExposedFunction } from './mcp-catalog.js';
import { runToolCall } from './run.js';

/*
 * The marketplace as an MCP server (issue 16 part 5): `/mcp`, Streamable HTTP, one platform API
 * key. Stateless: each POST gets its own server and transport (no session to keep or to lose
 * between instances), answers with JSON, and is gone. `tools/call` goes through the same runner
 * as an app's tool calls, billed the same.
 */

const SERVER_INFO = { name: 'maas-marketplace', version: '1.0.0' };

export interface McpRequestContext {
  actor: Actor;
  requestId: string;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

function describe(entry: McpExposedFunction): string {
  const price = entry.pricePerCallNano > 0n ? `; ${nanoToAmount(entry.pricePerCallNano)} per call` : '';
  const text = entry.function.description.trim();
  return `${text === '' ? entry.function.name : text} (${entry.toolName}${price})`;
}

function inputSchemaOf(entry: McpExposedFunction): { type: 'object'; [key: string]: unknown } {
  return { ...entry.function.parameters, type: 'object' };
}

function buildServer(platform: Platform, context: McpRequestContext): Server {
  const server = new Server(SERVER_INFO, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => {
    const functions = await listMcpFunctionsFor(platform, context.actor);
    return {
      tools: functions.map((entry) => ({ name: entry.exposedName, description: describe(entry), inputSchema: inputSchemaOf(entry) })),
    };
  });
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const functions = await listMcpFunctionsFor(platform, context.actor);
    const entry = functions.find((candidate) => candidate.exposedName === request.params.name);
    if (!entry) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
    const outcome = await runToolCall(platform, {
      actor: context.actor,
      toolId: entry.toolId,
      version: entry.version,
      functionName: entry.function.name,
      argumentsJson: JSON.stringify(request.params.arguments ?? {}),
      callId: `mcp_${String(extra.requestId)}`,
      appId: null,
      conversationId: null,
      config: {},
      fixedArguments: {},
      via: 'mcp',
      requestId: context.requestId,
      signal: AbortSignal.any([context.signal, extra.signal]),
    });
    return {
      content: [{ type: 'text' as const, text: outcome.content }],
      isError: outcome.isError,
      _meta: {
        'maas/tool_call_id': outcome.id,
        'maas/status': outcome.status,
        'maas/cost': nanoToAmount(outcome.costNano),
        'maas/latency_ms': outcome.latencyMs,
      },
    };
  });
  return server;
}

/** Answers one POST to `/mcp` on the raw response (the caller has already authenticated the key). */
export async function handleMcpPost(
  platform: Platform,
  context: McpRequestContext,
  request: IncomingMessage,
  response: ServerResponse,
  body: unknown,
): Promise<void> {
  const server = buildServer(platform, context);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  response.once('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(request, response, body);
}
