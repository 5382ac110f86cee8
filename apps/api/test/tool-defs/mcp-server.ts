// A real remote MCP server for the tests: the SDK's McpServer over StreamableHTTPServerTransport
// (stateless: one server and transport per request), on a loopback port.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export interface TestMcpServer {
  url: string;
  /** tools/list requests answered so far. */
  listCalls: () => number;
  close: () => Promise<void>;
}

function buildServer(): McpServer {
  const mcp = new McpServer({ name: 'test-clock', version: '1.0.0' });
  mcp.registerTool(
    'current_time',
    { description: 'The current time in a time zone', inputSchema: { timezone: z.string().describe('IANA zone, e.g. Europe/Paris') } },
    async ({ timezone }) => ({ content: [{ type: 'text', text: `${new Date().toISOString()} in ${timezone}` }] }),
  );
  mcp.registerTool(
    'define',
    { description: 'Defines a word', inputSchema: { word: z.string(), language: z.enum(['en', 'fr']).optional() } },
    async ({ word }) => ({ content: [{ type: 'text', text: `${word}: a word` }] }),
  );
  return mcp;
}

export async function startMcpServer(): Promise<TestMcpServer> {
  let lists = 0;
  const http: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const body = raw ? (JSON.parse(raw) as unknown) : undefined;
        if (body && typeof body === 'object' && (body as { method?: string }).method === 'tools/list') lists += 1;
        const mcp = buildServer();
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
        res.on('close', () => {
          void transport.close();
          void mcp.close();
        });
        await mcp.connect(transport);
        await transport.handleRequest(req, res, body);
      })().catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    listCalls: () => lists,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
