import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countTextTokens } from '@maas/api';
import { startGeminiMock } from '@maas/api/testing/mock-gemini-upstream';
import { balanceNano, type ChatWorld, createMockProvider, createRoutedModel, settled, signUp, startChatWorld } from '../kit/index.js';

// Issue 14 part 2: POST /v1/embeddings with the official openai client, on the offline demo
// provider (deterministic hashed n-gram vectors) and on an OpenAI-compatible upstream (the strict
// mock), billed per input token at the model's input price through the reservation path.

let world: ChatWorld;

/** demo-embed's seeded input price: 0.0000001 per token. */
const DEMO_EMBED_NANO_PER_TOKEN = 100n;

async function apiKeyFor(token: string) {
  const res = await world.api.post('/api/v1/api-keys', { name: 'embeddings' }, token);
  expect(res.status).toBe(201);
  return res.body.key as string;
}

async function newCaller() {
  const user = await signUp(world.api);
  return { user, client: new OpenAI({ apiKey: await apiKeyFor(user.token), baseURL: `${world.server.url}/v1`, maxRetries: 0 }) };
}

function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  a.forEach((x, i) => {
    dot += x * b[i]!;
    na += x * x;
    nb += b[i]! * b[i]!;
  });
  return dot / Math.sqrt(na * nb);
}

const norm = (v: readonly number[]) => Math.sqrt(v.reduce((sum, x) => sum + x * x, 0));

async function usageRows(userId: string) {
  return world.server.server.platform.db
    .selectFrom('usage_records')
    .select(['cost_nano', 'input_tokens', 'output_tokens', 'status', 'model_id'])
    .where('user_id', '=', userId)
    .execute();
}

async function rejection(promise: Promise<unknown>) {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as InstanceType<typeof OpenAI.APIError>,
  );
}

beforeAll(async () => {
  world = await startChatWorld({ MAAS_SEED_DEMO: '1' });
});
afterAll(async () => {
  await world?.server.close();
  await world?.upstream.close();
});

describe('POST /v1/embeddings on the demo provider', () => {
  it('answers float vectors that are unit length and deterministic; similar texts are closer than unrelated ones', async () => {
    const { client } = await newCaller();
    const texts = ['The cat sat on the mat', 'the cat sat on a mat!', 'Quarterly revenue grew by eleven percent'];
    const first = await client.embeddings.create({ model: 'demo-embed', input: texts, encoding_format: 'float' });
    expect(first.object).toBe('list');
    expect(first.model).toBe('demo-embed');
    expect(first.data.map((d) => d.index)).toEqual([0, 1, 2]);
    const [cat, cat2, revenue] = first.data.map((d) => d.embedding);
    expect(cat).toHaveLength(256);
    for (const v of [cat!, cat2!, revenue!]) expect(norm(v)).toBeCloseTo(1, 5);
    expect(cosine(cat!, cat2!)).toBeGreaterThan(0.6);
    expect(cosine(cat!, cat2!)).toBeGreaterThan(cosine(cat!, revenue!) + 0.4);

    const again = await client.embeddings.create({ model: 'demo-embed', input: 'The cat sat on the mat', encoding_format: 'float' });
    expect(again.data[0]!.embedding).toEqual(cat);
  });

  it('answers base64 (little-endian float32) equal to the float answer, and the client decodes it by default', async () => {
    const { client } = await newCaller();
    const input = 'base64 round trip';
    const floats = (await client.embeddings.create({ model: 'demo-embed', input, encoding_format: 'float' })).data[0]!.embedding;
    // Without encoding_format the openai client asks for base64 and decodes it itself.
    const decodedByClient = (await client.embeddings.create({ model: 'demo-embed', input })).data[0]!.embedding;
    expect(decodedByClient).toEqual(floats);

    const raw = await client.embeddings.create({ model: 'demo-embed', input, encoding_format: 'base64' }).asResponse();
    const body = (await raw.json()) as { data: { embedding: string }[] };
    expect(typeof body.data[0]!.embedding).toBe('string');
    const bytes = Buffer.from(body.data[0]!.embedding, 'base64');
    expect(bytes.length).toBe(floats.length * 4);
    expect(Array.from({ length: floats.length }, (_, i) => bytes.readFloatLE(i * 4))).toEqual(floats);
  });

  it('honours dimensions', async () => {
    const { client } = await newCaller();
    const res = await client.embeddings.create({
      model: 'demo-embed',
      input: ['short', 'vectors'],
      dimensions: 64,
      encoding_format: 'float',
    });
    for (const item of res.data) {
      expect(item.embedding).toHaveLength(64);
      expect(norm(item.embedding)).toBeCloseTo(1, 5);
    }
  });

  it('bills exactly the input tokens at the input price, one usage record, nothing for output', async () => {
    const { user, client } = await newCaller();
    const before = await balanceNano(world.server, user.id);
    const input = ['one fish', 'two fish, red fish', '蓝色的鱼 blue fish'];
    const res = await client.embeddings.create({ model: 'demo-embed', input, encoding_format: 'float' });
    const tokens = input.reduce((sum, text) => sum + countTextTokens(text), 0);
    expect(res.usage).toEqual({ prompt_tokens: tokens, total_tokens: tokens });
    await settled(world.server);
    await world.server.server.platform.leases?.drain();
    const rows = await usageRows(user.id);
    expect(rows).toEqual([expect.objectContaining({ input_tokens: tokens, output_tokens: 0, status: 'success' })]);
    expect(rows[0]!.cost_nano).toBe(BigInt(tokens) * DEMO_EMBED_NANO_PER_TOKEN);
    expect(before - (await balanceNano(world.server, user.id))).toBe(BigInt(tokens) * DEMO_EMBED_NANO_PER_TOKEN);
  });
});

describe('POST /v1/embeddings on an OpenAI-compatible upstream', () => {
  it('forwards to {base}/embeddings (float, dimensions, Bearer), places vectors by index and bills the upstream count', async () => {
    const provider = await createMockProvider(world);
    const model = await createRoutedModel(world, [{ provider_id: provider.id, upstream_model: 'mock-ok' }], { operations: ['embeddings'] });
    const { user, client } = await newCaller();
    const input = ['ab', 'xyz'];
    const res = await client.embeddings.create({ model: model.name, input, dimensions: 3 });
    // The mock folds character codes / 1000 into the slots and answers the items in reverse order.
    expect(res.data[0]!.embedding).toEqual([0.097, 0.098, 0].map(Math.fround));
    expect(res.data[1]!.embedding).toEqual([0.12, 0.121, 0.122].map(Math.fround));
    // The mock counts one token per character: that is what is billed.
    expect(res.usage.prompt_tokens).toBe(5);
    const sent = world.upstream.requests.at(-1)!;
    expect(sent.url).toBe('/v1/embeddings');
    expect(sent.headers.authorization).toBe('Bearer sk-upstream-secret');
    expect(sent.body).toEqual({ model: 'mock-ok', input, encoding_format: 'float', dimensions: 3 });
    await settled(world.server);
    await world.server.server.platform.leases?.drain();
    const rows = await usageRows(user.id);
    expect(rows).toEqual([expect.objectContaining({ input_tokens: 5, output_tokens: 0, cost_nano: 5n * 2_000n, model_id: model.id })]);
  });

  it('charges nothing when the upstream fails', async () => {
    const provider = await createMockProvider(world);
    const model = await createRoutedModel(world, [{ provider_id: provider.id, upstream_model: 'mock-500' }], {
      operations: ['embeddings'],
    });
    const { user, client } = await newCaller();
    const before = await balanceNano(world.server, user.id);
    const error = await rejection(client.embeddings.create({ model: model.name, input: 'boom' }));
    expect(error.status).toBe(502);
    await settled(world.server);
    await world.server.server.platform.leases?.drain();
    expect(await balanceNano(world.server, user.id)).toBe(before);
    expect((await usageRows(user.id)).map((r) => [r.status, r.cost_nano])).toEqual([['failed', 0n]]);
  });
});

describe('POST /v1/embeddings on a Gemini upstream', () => {
  it('calls batchEmbedContents with one request per text and bills its own count (Gemini reports no usage)', async () => {
    const gemini = await startGeminiMock();
    try {
      const provider = await createMockProvider(world, { kind: 'gemini', base_url: gemini.url, api_key: 'gemini-test-key' });
      const model = await createRoutedModel(world, [{ provider_id: provider.id, upstream_model: 'text-embedding-004' }], {
        operations: ['embeddings'],
      });
      const { user, client } = await newCaller();
      const input = ['hello', 'Gemini'];
      const res = await client.embeddings.create({ model: model.name, input, dimensions: 3, encoding_format: 'float' });
      // The mock's vector of a text: [length, first char code, 0].
      expect(res.data.map((d) => d.embedding)).toEqual([
        [5, 104, 0],
        [6, 71, 0],
      ]);
      expect(gemini.refusals).toEqual([]);
      const sent = gemini.requests.at(-1)!;
      expect(sent.url).toBe('/v1beta/models/text-embedding-004:batchEmbedContents');
      expect(sent.headers['x-goog-api-key']).toBe('gemini-test-key');
      expect(sent.body).toEqual({
        requests: input.map((text) => ({ model: 'models/text-embedding-004', content: { parts: [{ text }] }, outputDimensionality: 3 })),
      });
      const tokens = input.reduce((sum, text) => sum + countTextTokens(text), 0);
      expect(res.usage.prompt_tokens).toBe(tokens);
      await settled(world.server);
      await world.server.server.platform.leases?.drain();
      expect(await usageRows(user.id)).toEqual([expect.objectContaining({ input_tokens: tokens, cost_nano: BigInt(tokens) * 2_000n })]);
    } finally {
      await gemini.close();
    }
  });
});

describe('POST /v1/embeddings errors', () => {
  it('refuses token arrays, empty strings, bad encoding_format and dimensions with a 400 naming the field', async () => {
    const { client } = await newCaller();
    const cases: [Record<string, unknown>, string][] = [
      [{ input: [1, 2, 3] }, 'token arrays'],
      [{ input: [[1, 2], [3]] }, 'token arrays'],
      [{ input: '' }, 'input'],
      [{ input: ['ok', ''] }, 'input[1]'],
      [{ input: [] }, 'input'],
      [{ input: 'x', encoding_format: 'int8' }, 'encoding_format'],
      [{ input: 'x', dimensions: 0 }, 'dimensions'],
    ];
    for (const [body, mention] of cases) {
      const error = await rejection(client.post('/embeddings', { body: { model: 'demo-embed', ...body } }));
      expect(error.status, JSON.stringify(body)).toBe(400);
      expect(error.message).toContain(mention);
    }
  });

  it('refuses a chat-only model with a 400 naming the model and the operation, and a model whose providers cannot embed', async () => {
    const { client } = await newCaller();
    const chatOnly = await rejection(client.embeddings.create({ model: 'demo-chat', input: 'hi' }));
    expect(chatOnly.status).toBe(400);
    expect(chatOnly.message).toContain('demo-chat');
    expect(chatOnly.message).toContain('embeddings');

    const anthropic = await createMockProvider(world, { kind: 'anthropic', base_url: world.upstream.url });
    const model = await createRoutedModel(world, [{ provider_id: anthropic.id, upstream_model: 'claude-embed' }], {
      operations: ['embeddings'],
    });
    const noProvider = await rejection(client.embeddings.create({ model: model.name, input: 'hi' }));
    expect(noProvider.status).toBe(400);
    expect(noProvider.message).toContain(model.name);
    expect(noProvider.message).toContain('embeddings');
  });

  it('refuses a call without a valid API key with 401', async () => {
    const client = new OpenAI({ apiKey: 'sk-not-a-key', baseURL: `${world.server.url}/v1`, maxRetries: 0 });
    const error = await rejection(client.embeddings.create({ model: 'demo-embed', input: 'hi' }));
    expect(error.status).toBe(401);
  });
});
