// A chat world with tools: the strict mock upstream, a real HTTP tool server, and tools attached to
// an application by SQL (the definition and attachment APIs are tested in ../tool-defs).
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encryptSecret } from '@maas/api/testing';
import {
  createApp,
  createMockProvider,
  createRoutedModel,
  signUp,
  signUpAs,
  startChatWorld,
  type ChatWorld,
  type TestServerOptions,
  type TestUser,
} from '../kit/index.js';

export interface ToolRequest {
  headers: IncomingMessage['headers'];
  text: string;
  body: { function?: string; arguments?: Record<string, unknown> };
  startedAt: number;
  endedAt?: number;
}

/** A tool endpoint at /call: answers `${function}(${arguments}) = ok` after `delayMs` (any other path: 500), recording every request. */
export async function startToolServer() {
  const requests: ToolRequest[] = [];
  const tuning = { delayMs: 0 };
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(text) as ToolRequest['body'];
      const request: ToolRequest = { headers: req.headers, text, body, startedAt: performance.now() };
      requests.push(request);
      setTimeout(() => {
        request.endedAt = performance.now();
        if (res.destroyed) return;
        if (req.url !== '/call') {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('the tool broke');
          return;
        }
        const answer = `${body.function}(${JSON.stringify(body.arguments)}) = ok`;
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(answer);
      }, tuning.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/call`,
    requests,
    tuning,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type ToolServer = Awaited<ReturnType<typeof startToolServer>>;

const WEATHER_FUNCTION = {
  name: 'lookup',
  description: 'Weather of a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const CLOCK_FUNCTION = {
  name: 'now',
  description: 'The time now',
  parameters: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'] },
};

export interface ToolLoopWorld extends ChatWorld {
  tools: ToolServer;
  modelId: string;
  author: TestUser;
}

export async function startToolLoopWorld(env: Record<string, string> = {}, options: TestServerOptions = {}): Promise<ToolLoopWorld> {
  const world = await startChatWorld(env, options);
  const tools = await startToolServer();
  const provider = await createMockProvider(world);
  const model = await createRoutedModel(world, [{ provider_id: provider.id, upstream_model: 'mock-ok' }]);
  const author = await signUpAs(world.server, world.api, 'developer');
  return { ...world, tools, modelId: model.id, author };
}

/** An http tool by `author`, published at version 1.0.0 with one function; its exposed name is `t_${name}__${fn}`. */
export async function insertTool(
  world: ToolLoopWorld,
  name: 'weather' | 'clock',
  options: { pricePerCallNano?: bigint; endpointUrl?: string } = {},
): Promise<{ id: string; exposed: string }> {
  const { db, config } = world.server.server.platform;
  const id = `tool_${randomBytes(12).toString('hex')}`;
  const fn = name === 'weather' ? WEATHER_FUNCTION : CLOCK_FUNCTION;
  await db
    .insertInto('tools')
    .values({
      id,
      author_id: world.author.id,
      name,
      description: `${name} tool`,
      full_description: '',
      category: 'data',
      version: '1.0.0',
      price_nano: 0n,
      currency: 'CNY',
      status: 'published',
      kind: 'http',
      price_per_call_nano: options.pricePerCallNano ?? 0n,
      signing_secret_enc: encryptSecret(config, `whsec_${name}`, id),
    })
    .execute();
  await db
    .insertInto('tool_versions')
    .values({
      tool_id: id,
      version: '1.0.0',
      kind: 'http',
      endpoint_url: options.endpointUrl ?? world.tools.url,
      server_url: null,
      functions: JSON.stringify([fn]),
    })
    .execute();
  return { id, exposed: `t_${name}__${fn.name}` };
}

/** Attaches tools to an app, with a secret config field encrypted as the attachment API stores it. */
export async function attachTools(world: ToolLoopWorld, appId: string, toolIds: string[], secret?: string) {
  const { db, config } = world.server.server.platform;
  await db
    .insertInto('application_tools')
    .values(
      toolIds.map((toolId, position) => ({
        app_id: appId,
        tool_id: toolId,
        version: null,
        config: JSON.stringify({ units: 'metric' }),
        secret_config_enc: secret ? encryptSecret(config, JSON.stringify({ api_key: secret }), `${appId}:${toolId}`) : null,
        fixed_arguments: JSON.stringify({}),
        position,
      })),
    )
    .execute();
  // Written behind the platform's back: its app cache must forget whether the app had tools.
  world.server.server.platform.applications.forget(appId);
}

/** A fresh user with an app on the mock model and these tools attached. */
export async function appWithTools(world: ToolLoopWorld, toolIds: string[], secret?: string) {
  const user = await signUp(world.api);
  const app = await createApp(world.api, user.token, world.modelId, { system_prompt: 'Use tools.' });
  await attachTools(world, app.id, toolIds, secret);
  return { user, app };
}
