// A server with a real mock OpenAI upstream beside it, for the tests that make model calls.
import { startMockUpstream } from '@maas/api/testing/mock-upstream';
import { apiClient } from './http.js';
import { startTestServer, type TestServer, type TestServerOptions } from './server.js';
import { signUpAs } from './users.js';

export const INPUT_NANO_PER_TOKEN = 2_000n;
export const OUTPUT_NANO_PER_TOKEN = 4_000n;

/** A server, a real mock upstream and an admin; `createMockProvider` and `createRoutedModel` route a model to the upstream. */
export async function startChatWorld(env: Record<string, string> = {}, options: TestServerOptions = {}) {
  const upstream = await startMockUpstream({ chunkDelayMs: 30, firstByteDelayMs: 3_000 });
  const server = await startTestServer(env, options);
  const api = apiClient(server.url);
  const admin = await signUpAs(server, api, 'admin');
  return { upstream, server, api, admin };
}

export type ChatWorld = Awaited<ReturnType<typeof startChatWorld>>;

/** A provider pointing at the world's mock upstream. */
export async function createMockProvider(world: ChatWorld, overrides: Record<string, unknown> = {}) {
  const res = await world.api.post(
    '/api/v1/providers',
    {
      name: `mock-${Math.random().toString(36).slice(2, 8)}`,
      kind: 'openai-compatible',
      base_url: world.upstream.url,
      api_key: 'sk-upstream-secret',
      timeout_ms: 5_000,
      priority: 0,
      weight: 1,
      enabled: true,
      ...overrides,
    },
    world.admin.token,
  );
  if (res.status !== 201) throw new Error(`provider: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string };
}

/** `upstreamModel` picks the mock's behaviour (mock-ok, mock-500, mock-cut, …). */
export async function createRoutedModel(
  world: ChatWorld,
  routes: { provider_id: string; upstream_model: string; priority?: number }[],
  overrides: Record<string, unknown> = {},
) {
  const res = await world.api.post(
    '/api/v1/models',
    {
      name: `chat-model-${Math.random().toString(36).slice(2, 8)}`,
      description: 'model for chat tests',
      category: 'text',
      visibility: 'public',
      pricing: { input_tokens: 0.000002, output_tokens: 0.000004 },
      context_window: 8_192,
      config: { max_tokens: 256 },
      routes,
      ...overrides,
    },
    world.admin.token,
  );
  if (res.status !== 201) throw new Error(`model: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; name: string };
}

export function expectedCostNano(usage: { prompt_tokens: number; completion_tokens: number }): bigint {
  return BigInt(usage.prompt_tokens) * INPUT_NANO_PER_TOKEN + BigInt(usage.completion_tokens) * OUTPUT_NANO_PER_TOKEN;
}

export async function settled(server: TestServer) {
  await server.server.platform.background.drain();
}
