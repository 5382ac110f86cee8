import { describeError, type DescribedError, type ErrorCode } from '@maas/api';
import type { FastifyReply } from 'fastify';
import { protocolLocale } from './locale.js';
import { errorHeaders, type RenderedError } from './rendered.js';
import { sendRendered } from './send.js';

/** A JSON-RPC 2.0 error response, as MCP clients read one (the request it answers is unknown: id null). */
export interface McpErrorBody {
  jsonrpc: '2.0';
  error: { code: number; message: string; data: { code: ErrorCode; request_id: string } };
  id: null;
}

/** JSON-RPC's own codes where one fits (-32600 invalid request, -32603 internal), else the server range (-32000…). */
const JSON_RPC_CODE: Record<ErrorCode, number> = {
  INVALID_REQUEST: -32600,
  UNAUTHORIZED: -32001,
  PAYMENT_REQUIRED: -32002,
  FORBIDDEN: -32003,
  NOT_FOUND: -32004,
  CONFLICT: -32005,
  PAYLOAD_TOO_LARGE: -32600,
  RATE_LIMITED: -32029,
  INTERNAL_ERROR: -32603,
  UPSTREAM_ERROR: -32603,
  SERVICE_UNAVAILABLE: -32603,
  UPSTREAM_TIMEOUT: -32603,
};

/** The MCP endpoint (`/mcp`): errors before the MCP server runs (a bad key, the rate limit) with the HTTP status they mean. */
export function renderMcpError(problem: DescribedError, requestId: string): RenderedError<McpErrorBody> {
  const headers = errorHeaders(problem.headers, requestId);
  if (problem.code === 'UNAUTHORIZED') headers['www-authenticate'] = 'Bearer';
  return {
    status: problem.status,
    headers,
    body: {
      jsonrpc: '2.0',
      error: { code: JSON_RPC_CODE[problem.code], message: problem.message, data: { code: problem.code, request_id: requestId } },
      id: null,
    },
  };
}

export function sendMcpError(reply: FastifyReply, error: unknown): FastifyReply {
  return sendRendered(reply, renderMcpError(describeError(error, protocolLocale(reply.request)), reply.request.id));
}
