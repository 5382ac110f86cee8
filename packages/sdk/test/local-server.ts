import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny real HTTP server whose answers a test scripts request by request: for what the platform
 * does not do on demand (a 429 with Retry-After, a 503, a server that never answers).
 */
export interface ScriptedServer {
  url: string;
  requests: Array<{ method: string; url: string; headers: IncomingMessage['headers']; at: number }>;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, index: number) => void;

export async function startScriptedServer(handler: Handler): Promise<ScriptedServer> {
  const requests: ScriptedServer['requests'] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, at: Date.now() });
    handler(req, res, requests.length - 1);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** The body of a successful tRPC call. */
export function trpcResult(data: unknown) {
  return { result: { data } };
}

/** A tRPC error body in the server's errorFormatter shape. */
export function trpcError(code: string, httpStatus: number, message = code) {
  return {
    error: {
      message,
      code: httpStatus >= 500 ? -32603 : -32600,
      data: { code, httpStatus, message, details: null, request_id: 'req_scripted', path: null },
    },
  };
}

export const PROFILE = {
  id: 'user_scripted',
  username: 'scripted',
  email: 'scripted@example.com',
  avatar: null,
  role: 'user',
  created_at: '2025-01-01T00:00:00.000Z',
  last_login: null,
};
