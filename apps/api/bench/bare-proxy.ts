// The floor for any Node gateway: an undici pass-through proxy with keep-alive and nothing else.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Pool } from 'undici';

/** The proxy's request handler; `upstreamPath` replaces the request's own path when given. */
export function passThrough(pool: Pool, upstreamPath?: string) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      pool
        .request({
          path: upstreamPath ?? req.url ?? '/',
          method: req.method === 'GET' ? 'GET' : 'POST',
          headers: { 'content-type': 'application/json' },
          body: req.method === 'GET' ? null : Buffer.concat(chunks),
        })
        .then(({ statusCode, headers, body }) => {
          res.writeHead(statusCode, { 'content-type': String(headers['content-type'] ?? 'application/json') });
          body.pipe(res);
        })
        .catch(() => {
          res.writeHead(502).end();
        });
    });
  };
}

export function startBareProxy(port: number, upstreamOrigin: string) {
  const server = createServer(passThrough(new Pool(upstreamOrigin, { connections: 128, pipelining: 1 })));
  server.keepAliveTimeout = 60_000;
  return new Promise<typeof server>((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (process.argv[1]?.endsWith('bare-proxy.ts')) {
  const port = Number(process.argv[2] ?? 4101);
  const upstream = process.argv[3] ?? 'http://127.0.0.1:4100';
  await startBareProxy(port, upstream);
  // The bench asks each process for its CPU time around a run: CPU per request, not only req/s.
  process.on('message', (message) => {
    if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
  });
  process.send?.('ready');
}
