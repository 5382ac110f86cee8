import { handleMcpPost, type Platform } from '@maas/api';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { sendMcpError } from '../surfaces/errors/index.js';
import { callerOf } from './caller.js';

const METHOD_NOT_ALLOWED = {
  jsonrpc: '2.0',
  error: { code: -32000, message: 'Method not allowed: this MCP server is stateless; send each request as a POST.' },
  id: null,
};

/**
 * `/mcp`: the marketplace's tools over MCP's Streamable HTTP transport, for any MCP client with a
 * platform API key (issue 16 part 5). Stateless: a POST carries each request and gets its answer
 * as JSON. There is no session, so no stream to open with GET and none to end with DELETE: both
 * answer 405, which the transport's clients take as "no standalone stream".
 */
export async function registerMcpRoutes(app: FastifyInstance, platform: Platform): Promise<void> {
  await app.register(async (scope) => {
    // Errors before the MCP server runs (bad JSON, the rate limit, a bad key) as JSON-RPC errors.
    scope.setErrorHandler((error, _request, reply) => sendMcpError(reply, error));
    scope.removeContentTypeParser('text/plain');

    scope.post('/mcp', { helmet: false }, async (request, reply) => {
      try {
        const { ctx, actor } = await callerOf(platform, request, reply);
        // The transport writes the response itself, on the raw socket.
        reply.hijack();
        reply.raw.setHeader('x-request-id', request.id);
        await handleMcpPost(platform, { actor, requestId: request.id, signal: ctx.clientSignal() }, request.raw, reply.raw, request.body);
        return reply;
      } catch (error) {
        if (reply.sent || reply.raw.headersSent) {
          if (!reply.raw.writableEnded) reply.raw.end();
          return reply;
        }
        return sendMcpError(reply, error);
      }
    });

    const refuse = async (_request: unknown, reply: FastifyReply) =>
      reply.code(405).header('allow', 'POST').type('application/json; charset=utf-8').send(METHOD_NOT_ALLOWED);
    scope.get('/mcp', { helmet: false }, refuse);
    scope.delete('/mcp', { helmet: false }, refuse);
  });
}
