// Real tool servers for the runner's tests (issue 16 part 8): an http tool that checks the
// platform's signature strictly, and an MCP server built with the MCP SDK, both on loopback ports.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Database, ToolFunctionJson } from '@maas/db';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { encryptSecret, newId } from '@maas/api/testing';
import type { TestServer } from '../kit/index.js';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function sendJson(response: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

export interface ReceivedCall {
  tool_id: string;
  version: string;
  function: string;
  arguments: Record<string, unknown>;
  call_id: string;
  config: Record<string, unknown>;
  requestId: string;
}

export interface HttpToolServer {
  url: string;
  /** Calls that passed the signature check and reached a function. */
  calls: ReceivedCall[];
  /** Requests refused for a missing, stale or wrong signature (or a malformed request). */
  refused: string[];
  close(): Promise<void>;
}

const BODY_KEYS = ['arguments', 'call_id', 'config', 'function', 'tool_id', 'version'];
const TOLERANCE_SECONDS = 300;

/**
 * An author's http tool, as strict as a careful author would write it: POST with a JSON body of
 * exactly the documented keys, an X-Request-Id, a fresh X-Maas-Timestamp and an X-Maas-Signature
 * that is the HMAC-SHA256 of "<timestamp>.<body>" with `secret` (computed here, independently of
 * the platform's code). Anything else is a 401/400 and no function runs.
 */
export async function startHttpToolServer(secret: string): Promise<HttpToolServer> {
  const calls: ReceivedCall[] = [];
  const refused: string[] = [];
  const server = createServer((request, response) => void answerHttp(request, response));
  async function answerHttp(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const refuse = (status: number, reason: string) => {
      refused.push(reason);
      sendJson(response, status, { error: reason });
    };
    if (request.method !== 'POST') return refuse(405, 'method');
    if (!request.headers['content-type']?.startsWith('application/json')) return refuse(400, 'content-type');
    const requestId = request.headers['x-request-id'];
    if (typeof requestId !== 'string' || requestId === '') return refuse(400, 'x-request-id');
    const timestamp = request.headers['x-maas-timestamp'];
    const signature = request.headers['x-maas-signature'];
    if (typeof timestamp !== 'string' || typeof signature !== 'string') return refuse(401, 'unsigned');
    if (Math.abs(Date.now() / 1000 - Number(timestamp)) > TOLERANCE_SECONDS) return refuse(401, 'stale timestamp');
    const expected = Buffer.from(`v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`);
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return refuse(401, 'bad signature');
    let parsed: ReceivedCall;
    try {
      parsed = JSON.parse(body);
    } catch {
      return refuse(400, 'json');
    }
    if (JSON.stringify(Object.keys(parsed).sort()) !== JSON.stringify(BODY_KEYS))
      return refuse(400, `keys ${Object.keys(parsed).join(',')}`);
    calls.push({ ...parsed, requestId });
    const args = parsed.arguments;
    switch (parsed.function) {
      case 'add':
        return sendJson(response, 200, { result: Number(args.a) + Number(args.b) });
      case 'greet':
        response.writeHead(200, { 'content-type': 'text/plain' });
        response.end(`hello ${String(args.name)}`);
        return;
      case 'slow': {
        const timer = setTimeout(() => sendJson(response, 200, { result: 'late' }), 5_000);
        response.on('close', () => clearTimeout(timer));
        return;
      }
      case 'crash':
        return sendJson(response, 503, { error: 'backend down' });
      case 'reject':
        return sendJson(response, 422, { error: 'cannot do that' });
      case 'big':
        response.writeHead(200, { 'content-type': 'text/plain' });
        // Streamed without a length, so the cap has to be enforced while reading.
        for (let i = 0; i < 40; i++) response.write('x'.repeat(4096));
        response.end();
        return;
      default:
        return sendJson(response, 404, { error: `no function ${parsed.function}` });
    }
  }
  const url = await listen(server);
  return {
    url,
    calls,
    refused,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface McpToolServer {
  url: string;
  /** tools/call requests that reached a handler. */
  calls: Array<{ name: string; args: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** A remote MCP server (Streamable HTTP, stateless) with `add`, `slow` and `fail` tools, built with the MCP SDK. */
export async function startMcpToolServer(): Promise<McpToolServer> {
  const calls: McpToolServer['calls'] = [];
  const build = () => {
    const mcp = new McpServer({ name: 'test-tools', version: '1.0.0' });
    mcp.registerTool('add', { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => {
      calls.push({ name: 'add', args: { a, b } });
      return { content: [{ type: 'text', text: String(a + b) }] };
    });
    mcp.registerTool('slow', { description: 'Takes its time', inputSchema: {} }, async () => {
      calls.push({ name: 'slow', args: {} });
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      return { content: [{ type: 'text', text: 'late' }] };
    });
    mcp.registerTool('fail', { description: 'Always fails', inputSchema: {} }, async () => {
      calls.push({ name: 'fail', args: {} });
      return { content: [{ type: 'text', text: 'it broke' }], isError: true };
    });
    return mcp;
  };
  const server = createServer((request, response) => void answerMcp(request, response));
  async function answerMcp(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'POST') {
      sendJson(response, 405, { jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed.' }, id: null });
      return;
    }
    const body = JSON.parse(await readBody(request));
    const mcp = build();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    response.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(request, response, body);
  }
  const url = await listen(server);
  return {
    url: `${url}/mcp`,
    calls,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export interface ToolRowOptions {
  kind: 'http' | 'mcp';
  url: string;
  functions: ToolFunctionJson[];
  /** Purchase price (nano); 0 by default (free). */
  priceNano?: bigint;
  pricePerCallNano?: bigint;
  signingSecret?: string;
  status?: 'draft' | 'published' | 'unlisted';
  configSchema?: Record<string, unknown> | null;
  name?: string;
}

let toolCounter = 0;

/** A callable tool and its version 1.0.0, inserted directly (publishing them is another part's). */
export async function insertTool(server: TestServer, authorId: string, options: ToolRowOptions): Promise<string> {
  const db: Kysely<Database> = server.server.platform.db;
  const id = newId('tool');
  toolCounter += 1;
  await db
    .insertInto('tools')
    .values({
      id,
      author_id: authorId,
      name: options.name ?? `Runner tool ${toolCounter}`,
      description: 'a tool for the runner tests',
      full_description: '',
      category: 'development',
      version: '1.0.0',
      price_nano: options.priceNano ?? 0n,
      currency: 'CNY',
      status: options.status ?? 'published',
      kind: options.kind,
      price_per_call_nano: options.pricePerCallNano ?? 0n,
      config_schema: options.configSchema ? JSON.stringify(options.configSchema) : null,
      signing_secret_enc: options.signingSecret ? encryptSecret(server.config, options.signingSecret, id) : null,
    })
    .execute();
  await db
    .insertInto('tool_versions')
    .values({
      tool_id: id,
      version: '1.0.0',
      kind: options.kind,
      endpoint_url: options.kind === 'http' ? options.url : null,
      server_url: options.kind === 'mcp' ? options.url : null,
      functions: JSON.stringify(options.functions),
    })
    .execute();
  return id;
}

export const ADD_FUNCTION: ToolFunctionJson = {
  name: 'add',
  description: 'Adds two numbers',
  parameters: {
    type: 'object',
    properties: { a: { type: 'number' }, b: { type: 'number' } },
    required: ['a', 'b'],
    additionalProperties: false,
  },
};

/** A function taking no arguments. */
export function noArguments(name: string): ToolFunctionJson {
  return { name, description: `${name} (no arguments)`, parameters: { type: 'object', properties: {}, additionalProperties: false } };
}
