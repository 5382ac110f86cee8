// Talking to a remote MCP server over Streamable HTTP. A minimal `listMcpFunctions` for publishing a
// version (issue 16 part 1); the runner's module (H2) replaces this file with the same signature.
import type { ToolFunctionJson } from '@maas/db';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { fetch as undiciFetch } from 'undici';
import type { Platform } from '../../core/platform.js';

/** The functions the server's `tools/list` announces (every page), through the platform's outbound guard. */
export async function listMcpFunctions(platform: Platform, serverUrl: string, signal: AbortSignal): Promise<ToolFunctionJson[]> {
  const dispatcher = platform.outbound.dispatcher();
  // The SDK passes the global fetch's options; undici's fetch takes them, plus the guarded dispatcher.
  const guardedFetch = ((url: string | URL, init?: RequestInit) =>
    undiciFetch(url, { ...init, dispatcher, redirect: 'manual' } as Parameters<typeof undiciFetch>[1])) as unknown as typeof fetch;
  const client = new Client({ name: 'maas-platform', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(serverUrl), { fetch: guardedFetch });
  try {
    await client.connect(transport, { signal });
    const functions: ToolFunctionJson[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : undefined, { signal });
      for (const tool of page.tools) {
        functions.push({ name: tool.name, description: tool.description ?? '', parameters: tool.inputSchema });
      }
      cursor = page.nextCursor;
    } while (cursor && functions.length <= 1000);
    return functions;
  } finally {
    await client.close().catch(() => undefined);
    await dispatcher.close().catch(() => undefined);
  }
}
