// The demo marketplace's `mcp` tool (issue 16 part 7): a clock, served over Streamable HTTP by an
// in-process MCP server on the platform's own port (/demo/tools/mcp/clock), so a fresh install shows
// an MCP tool call with no network. Stateless: one server and transport per request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export const DEMO_CLOCK_PATH = '/demo/tools/mcp/clock';

/** `date` as wall-clock time in an IANA time zone, e.g. "2026-12-06 21:50:00 (Asia/Tokyo)". */
export function formatInZone(date: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(date);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}:${part('second')} (${timeZone})`;
}

function text(value: string, isError = false) {
  return { content: [{ type: 'text' as const, text: value }], ...(isError ? { isError: true } : {}) };
}

function inZone(date: Date, timeZone: string) {
  try {
    return text(formatInZone(date, timeZone));
  } catch {
    return text(`Unknown time zone "${timeZone}": use an IANA name such as Europe/Paris.`, true);
  }
}

function clockServer(now: () => Date): McpServer {
  const server = new McpServer({ name: 'maas-demo-clock', version: '1.0.0' });
  server.registerTool(
    'now',
    {
      description: 'The current date and time in a time zone (IANA name, default UTC).',
      inputSchema: { timezone: z.string().optional().describe('IANA time zone, e.g. Asia/Shanghai') },
    },
    ({ timezone }) => inZone(now(), timezone ?? 'UTC'),
  );
  server.registerTool(
    'convert_timezone',
    {
      description: 'Converts an ISO 8601 date-time (with its offset, e.g. 2026-01-01T09:00:00Z) to another time zone.',
      inputSchema: {
        time: z.string().describe('ISO 8601 date-time with an offset or Z'),
        to: z.string().describe('IANA time zone to convert to'),
      },
    },
    ({ time, to }) => {
      const date = new Date(time);
      if (Number.isNaN(date.getTime())) return text(`"${time}" is not an ISO 8601 date-time.`, true);
      return inZone(date, to);
    },
  );
  return server;
}

/** Answers one MCP request (POST with a JSON-RPC body; GET and DELETE are refused by the stateless transport). */
export async function handleDemoClock(req: IncomingMessage, res: ServerResponse, body: unknown, now: () => Date = () => new Date()) {
  const server = clockServer(now);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
}
