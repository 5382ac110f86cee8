// A fake Ollama server for the engine tests (issue 15 part 4): the endpoints the platform uses,
// as strict as the real ones. Blobs must hash to their digest, `create` must name blobs it has,
// and the OpenAI-compatible endpoint answers only models it created.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeOllama {
  url: string;
  blobs: Map<string, number>;
  models: Map<string, { files: Record<string, string>; parameters: unknown }>;
  deleted: string[];
  close(): Promise<void>;
}

const DIGEST = /^\/api\/blobs\/sha256:([0-9a-f]{64})$/;

async function bodyOf(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export async function startFakeOllama(): Promise<FakeOllama> {
  const blobs = new Map<string, number>();
  const models = new Map<string, { files: Record<string, string>; parameters: unknown }>();
  const deleted: string[] = [];

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://ollama');
    const digest = DIGEST.exec(url.pathname)?.[1];
    if (digest && request.method === 'HEAD') {
      response.writeHead(blobs.has(digest) ? 200 : 404).end();
      return;
    }
    if (digest && request.method === 'POST') {
      const bytes = await bodyOf(request);
      if (createHash('sha256').update(bytes).digest('hex') !== digest) return json(response, 400, { error: 'digest mismatch' });
      blobs.set(digest, bytes.length);
      response.writeHead(201).end();
      return;
    }
    if (url.pathname === '/api/create' && request.method === 'POST') {
      const body = JSON.parse((await bodyOf(request)).toString()) as {
        model?: unknown;
        files?: unknown;
        parameters?: unknown;
        stream?: unknown;
      };
      if (typeof body.model !== 'string' || !body.model) return json(response, 400, { error: 'model is required' });
      if (typeof body.files !== 'object' || body.files === null || Object.keys(body.files).length === 0)
        return json(response, 400, { error: 'files is required' });
      for (const ref of Object.values(body.files as Record<string, unknown>)) {
        const match = typeof ref === 'string' ? /^sha256:([0-9a-f]{64})$/.exec(ref) : null;
        if (!match || !blobs.has(match[1]!)) return json(response, 400, { error: `blob ${String(ref)} not found` });
      }
      if (body.stream !== false) return json(response, 400, { error: 'this fake answers stream: false only' });
      models.set(body.model, { files: body.files as Record<string, string>, parameters: body.parameters });
      return json(response, 200, { status: 'success' });
    }
    if (url.pathname === '/api/delete' && request.method === 'DELETE') {
      const body = JSON.parse((await bodyOf(request)).toString()) as { model?: string };
      if (!body.model || !models.delete(body.model)) return json(response, 404, { error: 'model not found' });
      deleted.push(body.model);
      return json(response, 200, {});
    }
    if (url.pathname === '/v1/chat/completions' && request.method === 'POST') {
      const body = JSON.parse((await bodyOf(request)).toString()) as {
        model?: string;
        messages?: unknown;
        stream?: boolean;
        stream_options?: { include_usage?: boolean };
      };
      if (!body.model || !models.has(body.model)) return json(response, 404, { error: { message: `model "${body.model}" not found` } });
      if (!Array.isArray(body.messages) || body.messages.length === 0)
        return json(response, 400, { error: { message: 'messages required' } });
      const base = { id: 'chatcmpl-ollama', created: 1_700_000_000, model: body.model, system_fingerprint: 'fp_ollama' };
      const usage = { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 };
      if (!body.stream) {
        return json(response, 200, {
          ...base,
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content: 'ollama says hi' }, finish_reason: 'stop' }],
          usage,
        });
      }
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta: unknown, finish: string | null) => ({
        ...base,
        object: 'chat.completion.chunk',
        choices: [{ index: 0, delta, finish_reason: finish }],
      });
      for (const data of [
        chunk({ role: 'assistant', content: 'ollama ' }, null),
        chunk({ content: 'says ' }, null),
        chunk({ content: 'hi' }, null),
        chunk({}, 'stop'),
      ]) {
        response.write(`data: ${JSON.stringify(data)}\n\n`);
      }
      if (body.stream_options?.include_usage)
        response.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage })}\n\n`);
      response.end('data: [DONE]\n\n');
      return;
    }
    json(response, 404, { error: 'not found' });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => json(response, 500, { error: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    blobs,
    models,
    deleted,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
