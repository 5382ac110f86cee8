// `pnpm bench --layers`: where a gateway call's CPU goes. Each layer is a route on a plain node:http
// server inside the gateway's own process (so it pays the same runtime, heap and caches), and each
// adds one piece of what /v1/chat/completions does, cumulatively:
//
//   in-process-proxy  the bare proxy's handler, unchanged
//   both-bodies       + parse the request, rebuild the upstream body, parse and re-serialise the answer
//   upstream-client   our upstream client (the openai-compatible adapter on the platform's transport: timeouts, abort signal, error mapping) instead,
//                     with the same-protocol text path the route takes (the client's text edited, the answer's text renamed)
//   key-auth          + API key authentication
//   model-call        + model resolution, key policy, token count, the wallet-lease hold, failover,
//                       settlement, the usage record and call metrics: the whole call, without Fastify
//
// The full route adds Fastify, its hooks (request id, locale, rate limits, HTTP metrics) and request
// validation on top of model-call.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  authenticateRequest,
  completeChatCall,
  createRequestContext,
  openAiCompletionText,
  parseOpenAiChatRequest,
  type Platform,
  prepareChatCall,
  toOpenAiCompletion,
} from '@maas/api';
import { Pool } from 'undici';
import { passThrough } from './bare-proxy.js';

export const LAYERS = ['in-process-proxy', 'both-bodies', 'upstream-client', 'key-auth', 'model-call'] as const;

interface CompletionBody {
  model: string;
  messages: unknown[];
}

function readBody(req: IncomingMessage, then: (text: string) => Promise<unknown>, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    then(Buffer.concat(chunks).toString('utf8')).then(
      (answer) => {
        // A string is JSON already (the upstream's own text, edited).
        const text = typeof answer === 'string' ? answer : JSON.stringify(answer);
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      },
      (error: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(error));
      },
    );
  });
}

/** Serves the layers on `port`; `model` is the bench model, called once first to learn its route. */
export async function startLayerServer(platform: Platform, port: number, upstreamOrigin: string, apiKey: string, model: string) {
  const pool = new Pool(upstreamOrigin, { connections: 128, pipelining: 1 });
  const proxy = passThrough(pool, '/v1/chat/completions');
  const context = (authorization: string | undefined) =>
    createRequestContext({
      platform,
      requestId: 'bench',
      locale: 'en',
      ip: '127.0.0.1',
      authorization,
      idempotencyKey: undefined,
      userAgent: undefined,
      clientSignal: () => new AbortController().signal,
      setHeader: () => {},
    });

  // One real call gives the route (target) and the upstream request our gateway builds.
  const actor = await authenticateRequest(context(`Bearer ${apiKey}`));
  const probeBody = { model, messages: [{ role: 'user', content: 'probe' }] };
  const probe = await prepareChatCall(platform, {
    actor,
    model,
    request: parseOpenAiChatRequest(probeBody).request,
    stream: false,
    openAiBody: probeBody,
    signal: new AbortController().signal,
    requestId: 'bench',
  });
  await completeChatCall(platform, probe);
  const target = probe.targets[0]!;
  const adapter = platform.inference.adapterFor(target.kind)!;

  function viaUpstreamClient(authenticate: boolean) {
    return (req: IncomingMessage, res: ServerResponse) =>
      readBody(
        req,
        async (text) => {
          const body = JSON.parse(text) as CompletionBody;
          if (authenticate) await authenticateRequest(context(req.headers.authorization));
          const parsed = parseOpenAiChatRequest(body);
          const result = await adapter.chat(
            target,
            {
              request: parsed.request,
              upstreamModel: target.upstreamModel,
              maxOutputTokens: probe.maxOutputTokens,
              defaults: {},
              stream: false,
              openAiBody: body as unknown as Record<string, unknown>,
              openAiBodyText: text,
            },
            { transport: platform.inference.transport, signal: new AbortController().signal, requestId: 'bench' },
          );
          return openAiCompletionText(result, body.model, result.usage!) ?? toOpenAiCompletion(result, body.model, result.usage!);
        },
        res,
      );
  }

  const layers: Record<(typeof LAYERS)[number], (req: IncomingMessage, res: ServerResponse) => void> = {
    'in-process-proxy': proxy,
    'both-bodies': (req, res) =>
      readBody(
        req,
        async (text) => {
          const body = JSON.parse(text) as CompletionBody;
          const { statusCode, body: answer } = await pool.request({
            path: '/v1/chat/completions',
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ ...body, model: target.upstreamModel, stream: false }),
          });
          if (statusCode !== 200) throw new Error(`upstream answered ${statusCode}`);
          const completion = JSON.parse(await answer.text()) as { model: string };
          completion.model = body.model;
          return completion;
        },
        res,
      ),
    'upstream-client': viaUpstreamClient(false),
    'key-auth': viaUpstreamClient(true),
    'model-call': (req, res) =>
      readBody(
        req,
        async (text) => {
          const body = JSON.parse(text) as CompletionBody;
          const ctx = context(req.headers.authorization);
          const caller = await authenticateRequest(ctx);
          const parsed = parseOpenAiChatRequest(body);
          const call = await prepareChatCall(platform, {
            actor: caller,
            model: parsed.model,
            request: parsed.request,
            stream: false,
            openAiBody: body as unknown as Record<string, unknown>,
            openAiBodyText: text,
            signal: ctx.clientSignal(),
            requestId: 'bench',
          });
          const { result, outcome } = await completeChatCall(platform, call);
          return openAiCompletionText(result, body.model, outcome.usage) ?? toOpenAiCompletion(result, body.model, outcome.usage);
        },
        res,
      ),
  };

  const server = createServer((req, res) => {
    const layer = layers[(req.url ?? '').slice('/layer/'.length) as (typeof LAYERS)[number]];
    if (!layer) {
      res.writeHead(404).end();
      return;
    }
    layer(req, res);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}
