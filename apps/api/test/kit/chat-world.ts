import { startMockUpstream, type MockUpstream } from '@maas/api/testing/mock-upstream';
import { apiClient, type ApiClient, setRole, signUp, startTestServer, type TestServer } from './server.js';

export const INPUT_NANO_PER_TOKEN = 2_000n;
export const OUTPUT_NANO_PER_TOKEN = 4_000n;

/** A server, a real mock upstream behind a provider, a priced model routed to it, and an admin. */
export async function startChatWorld(env: Record<string, string> = {}) {
  const upstream = await startMockUpstream({ chunkDelayMs: 30, firstByteDelayMs: 3_000 });
  const server = await startTestServer(env);
  const api = apiClient(server.url);
  const admin = await signUp(api, 'admin');
  await setRole(server, admin.id, 'admin');
  return { upstream, server, api, admin };
}

export type ChatWorld = Awaited<ReturnType<typeof startChatWorld>>;

export async function createProvider(world: ChatWorld, overrides: Record<string, unknown> = {}) {
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
export async function createModel(
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

export async function createApp(api: ApiClient, token: string, modelId: string, config: Record<string, unknown> = {}) {
  const res = await api.post(
    '/api/v1/applications',
    {
      name: 'writer',
      description: 'test app',
      model_id: modelId,
      config: { max_tokens: 100, temperature: 0.5, system_prompt: 'You are a test assistant.', ...config },
    },
    token,
  );
  if (res.status !== 201) throw new Error(`app: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; endpoint: string };
}

export function expectedCostNano(usage: { prompt_tokens: number; completion_tokens: number }): bigint {
  return BigInt(usage.prompt_tokens) * INPUT_NANO_PER_TOKEN + BigInt(usage.completion_tokens) * OUTPUT_NANO_PER_TOKEN;
}

/** Reads a text/event-stream body into its parsed `data:` payloads. */
export async function readEvents(response: Response): Promise<unknown[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .map((block) =>
      block
        .split('\n')
        .find((line) => line.startsWith('data: '))
        ?.slice(6),
    )
    .filter((data): data is string => data !== undefined)
    .map((data) => (data === '[DONE]' ? '[DONE]' : JSON.parse(data)));
}

export async function settled(server: TestServer) {
  await server.server.platform.background.drain();
}

export { signUp, type MockUpstream, type TestServer };
