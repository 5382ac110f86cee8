// A lean OpenAI-compatible upstream for benchmarks: a fixed reply, nothing recorded, so the
// numbers measure the gateway and not the mock.
import { createServer } from 'node:http';

const REPLY = 'Benchmarks measure the gateway, not the model: this reply is always the same.';
const COMPLETION = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'bench-upstream',
  choices: [{ index: 0, message: { role: 'assistant', content: REPLY }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 16, total_tokens: 28 },
});
const WORDS = REPLY.split(/(?<=\s)/);

export function startBenchUpstream(port: number) {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'bench-upstream', object: 'model', created: 0, owned_by: 'bench' }] }));
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      if (!body.includes('"stream":true')) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(COMPLETION) });
        res.end(COMPLETION);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const word of WORDS) {
        res.write(
          `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'bench-upstream', choices: [{ index: 0, delta: { content: word }, finish_reason: null }] })}\n\n`,
        );
      }
      res.write(
        `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'bench-upstream', choices: [], usage: { prompt_tokens: 12, completion_tokens: 16, total_tokens: 28 } })}\n\n`,
      );
      res.end('data: [DONE]\n\n');
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise<typeof server>((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (process.argv[1]?.endsWith('upstream.ts')) {
  const port = Number(process.argv[2] ?? 4100);
  await startBenchUpstream(port);
  // The bench asks each process for its CPU time around a run: CPU per request, not only req/s.
  process.on('message', (message) => {
    if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
  });
  process.send?.('ready');
}
