// Issue 15 part 3: the local runtime under stress. A client that leaves mid-stream stops the
// generation and pays for what was sent; a crash of the runtime process leaves the API up, fails
// the call with a 502 and no charge, and the next call works; models beyond the limit are unloaded
// least recently used first; a full queue answers 429 with Retry-After.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiClient,
  balanceNano,
  createFileModel,
  settled,
  signUpAs,
  startTestServer,
  type TestServer,
  type TestUser,
  uploadModelFile,
  waitForDeployment,
} from '../kit/index.js';

/** The owner's own calls (all of this file's) cost the platform floor per token (issue 15 part 5). */
const FLOOR_NANO = 1_000n;

let server: TestServer;
let api: ReturnType<typeof apiClient>;
let developer: TestUser;
let fileId: string;
let openai: OpenAI;

beforeAll(async () => {
  server = await startTestServer({
    MAAS_LOCAL_RUNTIME_MAX_MODELS: '2',
    MAAS_LOCAL_RUNTIME_CONCURRENCY: '1',
    MAAS_LOCAL_RUNTIME_QUEUE: '1',
    MAAS_LOCAL_RUNTIME_MIN_PRICE: '0.000001',
  });
  api = apiClient(server.url);
  developer = await signUpAs(server, api, 'developer');
  fileId = (await uploadModelFile(server.url, developer.token)).body.id;
  openai = new OpenAI({ apiKey: developer.token, baseURL: `${server.url}/v1`, maxRetries: 0 });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const runtime = () => server.server.platform.inference.local;

async function deployedModel(overrides: Record<string, unknown> = {}) {
  const model = await createFileModel(api, developer.token, fileId, { config: { max_tokens: 480, temperature: 0 }, ...overrides });
  const detail = await waitForDeployment(api, developer.token, model.id);
  expect(detail.deployment.state).toBe('active');
  return model;
}

async function until(condition: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function lastUsage(modelId: string) {
  await settled(server);
  return server.server.platform.db
    .selectFrom('usage_records')
    .selectAll()
    .where('model_id', '=', modelId)
    .orderBy('created_at', 'desc')
    .executeTakeFirstOrThrow();
}

const longCall = (model: string) => ({ model, messages: [{ role: 'user' as const, content: 'hello' }], max_tokens: 480, temperature: 0 });

describe('the local runtime', () => {
  it('stops generating when the client leaves mid-stream, and bills what was sent', async () => {
    const model = await deployedModel();
    const generatedBefore = runtime().tokensGenerated;
    const abort = new AbortController();
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${developer.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...longCall(model.name), stream: true }),
      signal: abort.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    abort.abort();
    await until(() => runtime().generating === 0);
    const row = await lastUsage(model.id);
    expect(row.status).toBe('cancelled');
    expect(row.output_tokens).toBeGreaterThan(0);
    expect(row.output_tokens).toBeLessThan(480);
    expect(row.cost_nano).toBe(BigInt(row.input_tokens + row.output_tokens) * FLOOR_NANO);
    // The worker stopped: it generated fewer tokens than asked, and nothing after.
    const generated = runtime().tokensGenerated - generatedBefore;
    expect(generated).toBeLessThan(480);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(runtime().tokensGenerated - generatedBefore).toBe(generated);
  });

  it('survives a crash of the runtime process: the call fails with 502 and no charge, the next call works', async () => {
    const model = await deployedModel();
    const before = await balanceNano(server, developer.id);
    const pid = runtime().pid!;
    const call = openai.chat.completions.create(longCall(model.name)).then(
      () => null,
      (error: unknown) => error,
    );
    await until(() => runtime().generating === 1);
    process.kill(pid, 'SIGKILL');
    const error = await call;
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    const failed = await lastUsage(model.id);
    expect(failed.status).toBe('failed');
    expect(failed.cost_nano).toBe(0n);
    expect(await balanceNano(server, developer.id)).toBe(before);

    expect((await api.get('/healthz')).status).toBe(200);
    const next = await openai.chat.completions.create({ ...longCall(model.name), max_tokens: 8 });
    expect(next.usage!.completion_tokens).toBe(8);
    expect(runtime().pid).not.toBe(pid);
    expect(runtime().restarts).toBeGreaterThanOrEqual(1);
  });

  it('keeps at most MAAS_LOCAL_RUNTIME_MAX_MODELS loaded, unloading the least recently used', async () => {
    const a = await deployedModel();
    const b = await deployedModel();
    expect(runtime().loadedModels.sort()).toEqual([a.id, b.id].sort());
    await openai.chat.completions.create({ ...longCall(a.name), max_tokens: 4 });
    const c = await deployedModel();
    expect(runtime().loadedModels.sort()).toEqual([a.id, c.id].sort());
    // b was unloaded, not undeployed: a call loads it again, and a (now the least recent) goes.
    const answer = await openai.chat.completions.create({ ...longCall(b.name), max_tokens: 4 });
    expect(answer.usage!.completion_tokens).toBe(4);
    expect(runtime().loadedModels.sort()).toEqual([b.id, c.id].sort());
  });

  it('queues calls beyond the concurrency limit and answers 429 with Retry-After when the queue is full', async () => {
    const model = await deployedModel();
    const before = await balanceNano(server, developer.id);
    const first = openai.chat.completions.create(longCall(model.name));
    await until(() => runtime().generating === 1);
    const second = openai.chat.completions.create(longCall(model.name));
    await until(() => runtime().queueDepth === 1);
    const third = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${developer.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(longCall(model.name)),
    });
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const [one, two] = await Promise.all([first, second]);
    expect(one.usage!.completion_tokens).toBe(480);
    expect(two.choices[0]!.message.content).toBe(one.choices[0]!.message.content);
    // Only the two answered calls were charged.
    await settled(server);
    const charged = before - (await balanceNano(server, developer.id));
    const cost = (c: typeof one) => BigInt(c.usage!.prompt_tokens + c.usage!.completion_tokens) * FLOOR_NANO;
    expect(charged).toBe(cost(one) + cost(two));
  });
});
