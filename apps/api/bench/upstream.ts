// A lean OpenAI-compatible upstream for benchmarks: a fixed reply, so the numbers measure the
// gateway and not the mock. It keeps only a reference to the last chat body it read (no copy, no
// parse), which the bench asks for over IPC to replay app chat's prompt on /v1.
import { createServer, type ServerResponse } from 'node:http';

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

/**
 * A streamed answer is this many content chunks, then a finish chunk, a usage chunk and `[DONE]`;
 * fewer content chunks when the request's `max_tokens` (or `max_completion_tokens`) is lower, as a
 * model stops there, with `finish_reason: "length"`. The bench asks for a short stream that way to
 * extrapolate a stream's fixed cost (run.ts); the gateway always sends a limit, its default 4,096.
 */
export const STREAM_CHUNKS = 200;
/** The first chunk's text; a client has its first token when this string has arrived. */
export const FIRST_TOKEN = WORDS[0]!;

const chunk = (fields: object) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'bench-upstream', ...fields })}\n\n`;
const CONTENT_CHUNKS = Array.from({ length: STREAM_CHUNKS }, (_, index) =>
  chunk({ choices: [{ index: 0, delta: { content: WORDS[index % WORDS.length] }, finish_reason: null }] }),
);
const finishChunk = (reason: 'stop' | 'length') => chunk({ choices: [{ index: 0, delta: {}, finish_reason: reason }] });
const FINISHED = { stop: finishChunk('stop'), length: finishChunk('length') };
const usageChunk = (completionTokens: number) =>
  chunk({ choices: [], usage: { prompt_tokens: 12, completion_tokens: completionTokens, total_tokens: 12 + completionTokens } });
/** The usage chunk of a stream of n content chunks at [n], made on first use (the bench asks for two lengths). */
const USAGE_CHUNKS: string[] = [];

const LIMIT_KEYS = ['"max_tokens":', '"max_completion_tokens":'] as const;
/** A limit's value where its key ends: a positive integer, or null for none. */
const LIMIT_VALUE = /\s*(?:([1-9]\d*)|null)\s*[,}]/y;
const INVALID_LIMIT = JSON.stringify({
  error: { message: 'max_tokens must be a positive integer', type: 'invalid_request_error', param: 'max_tokens', code: null },
});

/**
 * The content chunks a stream request gets: STREAM_CHUNKS, or its limit when that is lower; null
 * for a limit that is not a positive integer, which OpenAI refuses with a 400. Inside a JSON string
 * every quote is escaped, so the key found is a key; a request body has no nested limits.
 */
function streamLength(body: string): number | null {
  for (const key of LIMIT_KEYS) {
    const at = body.indexOf(key);
    if (at === -1) continue;
    LIMIT_VALUE.lastIndex = at + key.length;
    const match = LIMIT_VALUE.exec(body);
    if (match === null) return null;
    return match[1] === undefined ? STREAM_CHUNKS : Math.min(Number(match[1]), STREAM_CHUNKS);
  }
  return STREAM_CHUNKS;
}

/**
 * One chunk per turn of the event loop, so the chunks leave as separate writes and reach the
 * gateway spread out, as a model's tokens do, rather than as one burst it reads in a single read.
 */
function writeStream(res: ServerResponse, count: number, index = 0): void {
  if (res.destroyed) return;
  if (index < count) {
    res.write(CONTENT_CHUNKS[index]);
    setImmediate(writeStream, res, count, index + 1);
    return;
  }
  res.write(count < STREAM_CHUNKS ? FINISHED.length : FINISHED.stop);
  res.write((USAGE_CHUNKS[count] ??= usageChunk(count)));
  res.end('data: [DONE]\n\n');
}

export function startBenchUpstream(port: number) {
  let lastChatBody = '';
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
      lastChatBody = body;
      if (!body.includes('"stream":true')) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(COMPLETION) });
        res.end(COMPLETION);
        return;
      }
      const count = streamLength(body);
      if (count === null) {
        res.writeHead(400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(INVALID_LIMIT) });
        res.end(INVALID_LIMIT);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      writeStream(res, count);
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise<{ server: typeof server; lastChatBody: () => string }>((resolve) =>
    server.listen(port, '127.0.0.1', () => resolve({ server, lastChatBody: () => lastChatBody })),
  );
}

if (process.argv[1]?.endsWith('upstream.ts')) {
  const port = Number(process.argv[2] ?? 4100);
  const { lastChatBody } = await startBenchUpstream(port);
  // The bench asks each process for its CPU time around a run: CPU per request, not only req/s.
  process.on('message', (message) => {
    if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
    if (message === 'last-chat-body') process.send?.({ lastChatBody: lastChatBody() });
  });
  process.send?.('ready');
}
