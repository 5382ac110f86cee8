import type { ToolFunctionJson } from '@maas/db';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { fetch as undiciFetch } from 'undici';
import type { Platform } from '../../core/platform.js';
import { describeTransportError, ResponseTooLargeError, resultText, type ToolTransportResult } from './transport.js';

/*
 * The platform as an MCP client of an author's remote MCP server (Streamable HTTP), for `mcp`
 * tools: `tools/list` when a version is published, `tools/call` for each call (issue 16 parts 1
 * and 3). Every request goes through the outbound address guard (no redirects followed), with the
 * same time limit and answer size cap as http tools. A client connects per call: an MCP session is
 * cheap next to a tool call, and nothing is shared between callers.
 */

const CLIENT_INFO = { name: 'maas-platform', version: '1.0.0' };
/** A server listing more pages than this is refused rather than read forever. */
const MAX_LIST_PAGES = 20;

interface Limits {
  signal: AbortSignal;
  timeoutMs: number;
  maxResponseBytes: number;
}

/** A fetch for the SDK: guarded pool, manual redirects, the call's signal, and the answer cut at the cap. */
function limitedFetch(platform: Platform, limits: Limits, overflow: { hit: boolean }): FetchLike {
  const runtime = platform.toolRuntime;
  return async (input, init) => {
    const target = new URL(String(input));
    if (init?.body !== undefined && init.body !== null && typeof init.body !== 'string') {
      throw new TypeError('the MCP client sent a body that is not text');
    }
    const signals = [limits.signal, ...(init?.signal ? [init.signal] : [])];
    const response = await undiciFetch(target, {
      method: init?.method ?? 'GET',
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body: init?.body ?? null,
      dispatcher: runtime.dispatcherFor(target),
      redirect: 'manual',
      signal: AbortSignal.any(signals),
    });
    const declared = Number(response.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > limits.maxResponseBytes) {
      overflow.hit = true;
      await response.body?.cancel();
      throw new ResponseTooLargeError(limits.maxResponseBytes);
    }
    let size = 0;
    const counted =
      response.body === null || [204, 205, 304].includes(response.status)
        ? null
        : // undici's stream type and the DOM lib's (seen when the dashboard type-checks this file) differ only nominally.
          (response.body as unknown as ReadableStream<Uint8Array>).pipeThrough(
            new TransformStream<Uint8Array, Uint8Array>({
              transform(chunk, controller) {
                size += chunk.byteLength;
                if (size > limits.maxResponseBytes) {
                  overflow.hit = true;
                  controller.error(new ResponseTooLargeError(limits.maxResponseBytes));
                  return;
                }
                controller.enqueue(chunk);
              },
            }),
          );
    return new Response(counted as ConstructorParameters<typeof Response>[0], {
      status: response.status,
      statusText: response.statusText,
      headers: [...response.headers],
    });
  };
}

async function withClient<T>(platform: Platform, serverUrl: string, limits: Limits, use: (client: Client) => Promise<T>) {
  const overflow = { hit: false };
  const transport = new StreamableHTTPClientTransport(new URL(serverUrl), {
    fetch: limitedFetch(platform, limits, overflow),
    // No reconnection: a tool call is made once (calls are not assumed idempotent).
    reconnectionOptions: { maxReconnectionDelay: 0, initialReconnectionDelay: 0, reconnectionDelayGrowFactor: 1, maxRetries: 0 },
  });
  const client = new Client(CLIENT_INFO, { capabilities: {} });
  try {
    await client.connect(transport, { signal: limits.signal, timeout: limits.timeoutMs + 1_000 });
    return { value: await use(client), overflow };
  } catch (error) {
    throw overflow.hit ? new ResponseTooLargeError(limits.maxResponseBytes) : error;
  } finally {
    await transport.terminateSession().catch(() => {});
    await client.close().catch(() => {});
  }
}

function limitsOf(platform: Platform, signal: AbortSignal): Limits {
  const { timeoutMs, maxResponseBytes } = platform.config.tools;
  return { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]), timeoutMs, maxResponseBytes };
}

/**
 * The server's functions (`tools/list`, every page), as a tool version records them. Throws an
 * Error whose message says what went wrong (unreachable, refused address, timeout, too large), for
 * the publisher to show; the original error is its cause.
 */
export async function listMcpFunctions(platform: Platform, serverUrl: string, signal: AbortSignal): Promise<ToolFunctionJson[]> {
  const limits = limitsOf(platform, signal);
  const listing = withClient(platform, serverUrl, limits, async (client) => {
    const functions: ToolFunctionJson[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const listed = await client.listTools(cursor === undefined ? {} : { cursor }, {
        signal: limits.signal,
        timeout: limits.timeoutMs + 1_000,
      });
      for (const tool of listed.tools) {
        functions.push({ name: tool.name, description: tool.description ?? '', parameters: { ...tool.inputSchema } });
      }
      cursor = listed.nextCursor;
      if (cursor === undefined) return functions;
    }
    throw new Error(`the MCP server lists more than ${MAX_LIST_PAGES} pages of tools`);
  });
  try {
    return (await listing).value;
  } catch (error) {
    if (limits.signal.aborted && !signal.aborted) {
      throw new Error(`the MCP server did not answer tools/list within ${limits.timeoutMs / 1000} seconds`, { cause: error });
    }
    throw new Error(describeTransportError(error).replace('the tool could not be reached', 'the MCP server could not be listed'), {
      cause: error,
    });
  }
}

export interface McpToolCall {
  serverUrl: string;
  functionName: string;
  arguments: Record<string, unknown>;
  /** The installer's config, given to the author's server as `_meta["maas/config"]` (never to a model). */
  config: Record<string, unknown>;
  signal: AbortSignal;
  /** Aborted when the call's time is up (part of `signal`): tells a timeout from a cancelled call. */
  timeoutSignal: AbortSignal;
  timeoutMs: number;
  maxResponseBytes: number;
}

/** The text a model reads from a `tools/call` result: its text parts, else its structured content, else its content as JSON. */
export function mcpResultText(result: { content?: unknown; structuredContent?: unknown; toolResult?: unknown }): string {
  const content: unknown[] = Array.isArray(result.content) ? result.content : [];
  const texts: string[] = [];
  for (const part of content) {
    if (
      typeof part === 'object' &&
      part !== null &&
      'type' in part &&
      part.type === 'text' &&
      'text' in part &&
      typeof part.text === 'string'
    ) {
      texts.push(part.text);
    }
  }
  if (texts.length > 0) return texts.join('\n');
  if (result.structuredContent !== undefined) return resultText(result.structuredContent);
  if (result.toolResult !== undefined) return resultText(result.toolResult);
  return resultText(content);
}

/** One `tools/call`, once; a result flagged isError is the tool's own failure (not charged). */
export async function callMcpFunction(platform: Platform, call: McpToolCall): Promise<ToolTransportResult> {
  const limits = { signal: call.signal, timeoutMs: call.timeoutMs, maxResponseBytes: call.maxResponseBytes };
  try {
    const { value } = await withClient(platform, call.serverUrl, limits, (client) =>
      client.callTool(
        {
          name: call.functionName,
          arguments: call.arguments,
          ...(Object.keys(call.config).length > 0 ? { _meta: { 'maas/config': call.config } } : {}),
        },
        undefined,
        // The call's own signal ends it on time; the SDK's timer is only a backstop, so a timeout reads as one.
        { signal: call.signal, timeout: call.timeoutMs + 1_000 },
      ),
    );
    return { kind: 'ok', text: mcpResultText(value), isError: value.isError === true };
  } catch (error) {
    if (call.timeoutSignal.aborted) return { kind: 'timeout' };
    if (call.signal.aborted) return { kind: 'error', message: 'the call was cancelled' };
    return { kind: 'error', message: describeTransportError(error) };
  }
}
