// Issue 15, the contract's flow end to end: upload a GGUF (the tiny model the platform generates),
// create "My Custom Model" from it with no routes, wait for it to be deployed on the local runtime,
// and chat with it on every surface, billed by the runtime's own token counts.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiClient,
  balanceNano,
  createApp,
  createFileModel,
  readEvents,
  settled,
  signUpAs,
  startTestServer,
  type TestServer,
  type TestUser,
  uploadModelFile,
  waitForDeployment,
} from '../kit/index.js';

/** MAAS_LOCAL_RUNTIME_MIN_PRICE below: what the owner's own calls cost per token (issue 15 part 5). */
const FLOOR_NANO = 100n;

let server: TestServer;
let api: ReturnType<typeof apiClient>;
let developer: TestUser;
let model: { id: string; name: string };
let openai: OpenAI;

beforeAll(async () => {
  server = await startTestServer({ MAAS_LOCAL_RUNTIME_MIN_PRICE: '0.0000001' });
  api = apiClient(server.url);
  developer = await signUpAs(server, api, 'developer');
  const file = await uploadModelFile(server.url, developer.token);
  expect(file.status).toBe(201);
  model = await createFileModel(api, developer.token, file.body.id, { name: 'My Custom Model' });
  openai = new OpenAI({ apiKey: developer.token, baseURL: `${server.url}/v1`, maxRetries: 0 });
}, 60_000);
afterAll(async () => {
  await server?.close();
});

async function usageRows(modelId: string) {
  await settled(server);
  return server.server.platform.db.selectFrom('usage_records').selectAll().where('model_id', '=', modelId).orderBy('created_at').execute();
}

describe('a model created from an uploaded GGUF file with no routes', () => {
  it('is deployed on the local runtime: deploying, then active with loaded_at', async () => {
    const detail = await waitForDeployment(api, developer.token, model.id);
    expect(detail.model_file).toBeTruthy();
    expect(detail.deployment).toMatchObject({ runtime: 'local', state: 'active', error: null });
    expect(Date.parse(detail.deployment.loaded_at)).toBeGreaterThan(0);
    expect(server.server.platform.inference.local.loadedModels).toContain(model.id);
    const metrics = await fetch(`${server.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/^maas_local_runtime_loaded_models 1$/m);
    expect(metrics).toMatch(/^maas_local_runtime_queue_depth 0$/m);
  });

  it('answers /v1/chat/completions through the openai client, billed by the runtime token counts', async () => {
    const before = await balanceNano(server, developer.id);
    const completion = await openai.chat.completions.create({
      model: model.name,
      messages: [{ role: 'user', content: 'hello world' }],
      max_tokens: 12,
      temperature: 0,
    });
    const choice = completion.choices[0]!;
    expect(choice.message.role).toBe('assistant');
    expect(choice.message.content!.length).toBeGreaterThan(0);
    expect(choice.finish_reason).toBe('length');
    // The runtime's tokenizer: the ChatML template around "hello world", with BOS.
    expect(completion.usage!.completion_tokens).toBe(12);
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(5);
    const rows = await usageRows(model.id);
    const row = rows.at(-1)!;
    expect(row.input_tokens).toBe(completion.usage!.prompt_tokens);
    expect(row.output_tokens).toBe(12);
    // The owner's own calls cost the platform floor per token, not their own price (issue 15 part 5;
    // other callers and the owner's revenue: model-revenue.test.ts).
    const cost = BigInt(completion.usage!.prompt_tokens + 12) * FLOOR_NANO;
    expect(row.cost_nano).toBe(cost);
    expect(before - (await balanceNano(server, developer.id))).toBe(cost);
  });

  it('streams token by token with the openai client, and the streamed text is the whole answer', async () => {
    const stream = await openai.chat.completions.create({
      model: model.name,
      messages: [{ role: 'user', content: 'hello world' }],
      max_tokens: 16,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    const pieces: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta.content;
      if (delta) pieces.push(delta);
      if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(pieces.length).toBeGreaterThan(3);
    expect(finish).toBe('length');
    expect(usage!.completion_tokens).toBe(16);
    const whole = await openai.chat.completions.create({
      model: model.name,
      messages: [{ role: 'user', content: 'hello world' }],
      max_tokens: 16,
      temperature: 0,
    });
    expect(pieces.join('')).toBe(whole.choices[0]!.message.content);
  });

  it('is deterministic with temperature 0, and with a seed at a higher temperature', async () => {
    const ask = (options: { temperature: number; seed?: number }) =>
      openai.chat.completions
        .create({ model: model.name, messages: [{ role: 'user', content: 'the answer' }], max_tokens: 24, ...options })
        .then((c) => c.choices[0]!.message.content);
    expect(await ask({ temperature: 0, seed: 7 })).toBe(await ask({ temperature: 0, seed: 7 }));
    const seeded = await ask({ temperature: 1.5, seed: 42 });
    expect(await ask({ temperature: 1.5, seed: 42 })).toBe(seeded);
    const others = await Promise.all([1, 2, 3].map((seed) => ask({ temperature: 1.5, seed })));
    expect(others.some((text) => text !== seeded)).toBe(true);
  });

  it('honours max_tokens and stop', async () => {
    const full = await openai.chat.completions.create({
      model: model.name,
      messages: [{ role: 'user', content: 'yes or no' }],
      max_tokens: 24,
      temperature: 0,
    });
    const text = full.choices[0]!.message.content!;
    const stop = text.slice(6, 8);
    const stopped = await openai.chat.completions.create({
      model: model.name,
      messages: [{ role: 'user', content: 'yes or no' }],
      max_tokens: 24,
      temperature: 0,
      stop: [stop],
    });
    expect(stopped.choices[0]!.finish_reason).toBe('stop');
    expect(stopped.choices[0]!.message.content).toBe(text.slice(0, text.indexOf(stop)));
    expect(stopped.usage!.completion_tokens).toBeLessThan(24);
  });

  it('answers application chat as JSON and as SSE', async () => {
    const app = await createApp(api, developer.token, model.id, { max_tokens: 10 });
    const json = await api.post(`/api/v1/applications/${app.id}/chat`, { message: 'hello', stream: false }, developer.token);
    expect(json.status).toBe(200);
    expect(typeof json.body.message).toBe('string');
    expect(json.body.message.length).toBeGreaterThan(0);
    expect(json.body.tokens_used.output).toBe(10);

    const response = await fetch(`${server.url}/api/v1/applications/${app.id}/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${developer.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'hello', stream: true }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = await readEvents(response);
    expect(events.length).toBeGreaterThan(3);
  });

  it('streams on /v1/messages, /v1/responses and /v1/completions too', async () => {
    const headers = { authorization: `Bearer ${developer.token}`, 'content-type': 'application/json' };
    const messages = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { ...headers, 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: model.name, max_tokens: 8, stream: true, messages: [{ role: 'user', content: 'hello' }] }),
    });
    expect(messages.status).toBe(200);
    const anthropicEvents = (await readEvents(messages)) as { type: string; delta?: { text?: string } }[];
    expect(anthropicEvents.filter((e) => e.type === 'content_block_delta').length).toBeGreaterThan(1);

    const responses = await openai.responses.create({ model: model.name, input: 'hello', max_output_tokens: 8, stream: true });
    let deltas = 0;
    for await (const event of responses) if (event.type === 'response.output_text.delta') deltas++;
    expect(deltas).toBeGreaterThan(1);

    const completions = await openai.completions.create({ model: model.name, prompt: 'hello', max_tokens: 8, stream: true });
    let pieces = 0;
    for await (const chunk of completions) if (chunk.choices[0]?.text) pieces++;
    expect(pieces).toBeGreaterThan(1);
  });

  it('must be priced at least MAAS_LOCAL_RUNTIME_MIN_PRICE per token when public', async () => {
    const file = await uploadModelFile(server.url, developer.token);
    const cheap = await api.post(
      '/api/v1/models',
      {
        name: `cheap-${Date.now()}`,
        category: 'text',
        model_file: file.body.id,
        visibility: 'public',
        pricing: { input_tokens: 0, output_tokens: 0 },
      },
      developer.token,
    );
    expect(cheap.status).toBe(400);
    expect(cheap.body.error.details).toMatchObject({ field: 'pricing', min_price: { input_tokens: 0.0000001, output_tokens: 0.0000001 } });
    // Private, it is only its owner's to call: no floor.
    const own = await createFileModel(api, developer.token, file.body.id, { pricing: { input_tokens: 0, output_tokens: 0 } });
    const publish = await api.patch(`/api/v1/models/${own.id}`, { visibility: 'public' }, developer.token);
    expect(publish.status).toBe(400);
    const priced = await api.patch(
      `/api/v1/models/${own.id}`,
      { visibility: 'public', pricing: { input_tokens: 0.0000001, output_tokens: 0.0000002 } },
      developer.token,
    );
    expect(priced.status).toBe(200);
  });

  it('is unloaded when deleted', async () => {
    const file = await uploadModelFile(server.url, developer.token);
    const second = await createFileModel(api, developer.token, file.body.id);
    await waitForDeployment(api, developer.token, second.id);
    expect(server.server.platform.inference.local.loadedModels).toContain(second.id);
    expect((await api.delete(`/api/v1/models/${second.id}`, developer.token)).status).toBe(200);
    expect(server.server.platform.inference.local.loadedModels).not.toContain(second.id);
  });
});
