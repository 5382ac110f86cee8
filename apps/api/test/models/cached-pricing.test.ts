import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncProvidersFromEnv } from '@maas/api/testing';
import {
  type ChatWorld,
  createMockProvider,
  createModel,
  createProvider,
  createRoutedModel,
  expectError,
  INPUT_NANO_PER_TOKEN,
  mockCachedTokens,
  OUTPUT_NANO_PER_TOKEN,
  settled,
  signUp,
  signUpAs,
  startChatWorld,
  type TestUser,
  uniqueName,
} from '../kit/index.js';

// Issue 13 part 5: a model's pricing may set a price for input tokens read from the prompt cache;
// without one they bill at the input price. Stored in models.cached_input_nano_per_token.

const PRICING = { input_tokens: 0.000002, output_tokens: 0.000004 };
const CACHED_NANO = 500n;

let world: ChatWorld;
let dev: TestUser;

async function cachedColumn(modelId: string): Promise<bigint | null> {
  const row = await world.server.server.platform.db
    .selectFrom('models')
    .select('cached_input_nano_per_token')
    .where('id', '=', modelId)
    .executeTakeFirstOrThrow();
  return row.cached_input_nano_per_token;
}

beforeAll(async () => {
  world = await startChatWorld();
  dev = await signUpAs(world.server, world.api, 'developer');
});
afterAll(async () => {
  await world?.server.close();
  await world?.upstream.close();
});

describe('pricing.cached_input_tokens on /api/v1/models', () => {
  it('round-trips through create, get and update, stored as nano; absent when the model sets none', async () => {
    const { api } = world;
    const created = await api.post(
      '/api/v1/models',
      { name: uniqueName('cached'), category: 'text', visibility: 'public', pricing: { ...PRICING, cached_input_tokens: '0.0000005' } },
      dev.token,
    );
    expect(created.status).toBe(201);
    expect(created.body.pricing).toEqual({ ...PRICING, cached_input_tokens: 0.0000005 });
    expect(await cachedColumn(created.body.id)).toBe(CACHED_NANO);
    // Everyone who may read the model sees the price, anonymous callers included.
    for (const token of [dev.token, undefined]) {
      const read = await api.get(`/api/v1/models/${created.body.id}`, token);
      expect(read.status).toBe(200);
      expect(read.body.pricing).toEqual({ ...PRICING, cached_input_tokens: 0.0000005 });
    }

    // A change that does not touch pricing keeps it.
    const described = await api.patch(`/api/v1/models/${created.body.id}`, { description: 'cheaper when cached' }, dev.token);
    expect(described.body.pricing.cached_input_tokens).toBe(0.0000005);

    // Free cached tokens are a price too, and shown.
    const free = await api.patch(`/api/v1/models/${created.body.id}`, { pricing: { ...PRICING, cached_input_tokens: 0 } }, dev.token);
    expect(free.status).toBe(200);
    expect(free.body.pricing).toEqual({ ...PRICING, cached_input_tokens: 0 });
    expect(await cachedColumn(created.body.id)).toBe(0n);

    // Pricing is replaced as a whole: without the field (or with null) cached tokens bill at the input price again.
    for (const pricing of [{ ...PRICING, cached_input_tokens: 0.000001 }, PRICING, { ...PRICING, cached_input_tokens: 0.000001 }]) {
      await api.patch(`/api/v1/models/${created.body.id}`, { pricing }, dev.token);
    }
    expect(await cachedColumn(created.body.id)).toBe(1_000n);
    const cleared = await api.patch(`/api/v1/models/${created.body.id}`, { pricing: { ...PRICING, cached_input_tokens: null } }, dev.token);
    expect(cleared.status).toBe(200);
    expect(cleared.body.pricing).toEqual(PRICING);
    expect(await cachedColumn(created.body.id)).toBeNull();
    expect((await api.get(`/api/v1/models/${created.body.id}`)).body.pricing).toEqual(PRICING);

    const plain = await createModel(api, dev.token, { pricing: PRICING });
    expect(plain.pricing).toEqual(PRICING);
    expect(await cachedColumn(plain.id)).toBeNull();
  });

  it('refuses a negative, too precise or too high cached price, and a misspelt field, with 400', async () => {
    const model = await createModel(world.api, dev.token, { pricing: PRICING });
    for (const cached of [-0.000001, '0.0000000001', 1001, 'cheap']) {
      expectError(
        await world.api.patch(`/api/v1/models/${model.id}`, { pricing: { ...PRICING, cached_input_tokens: cached } }, dev.token),
        400,
        'INVALID_REQUEST',
      );
    }
    expectError(
      await world.api.post(
        '/api/v1/models',
        { name: uniqueName('typo'), category: 'text', pricing: { ...PRICING, cached_tokens: 0 } },
        dev.token,
      ),
      400,
      'INVALID_REQUEST',
    );
    expect((await world.api.get(`/api/v1/models/${model.id}`, dev.token)).body.pricing).toEqual(PRICING);
  });

  it('is read from MAAS_PROVIDERS too, and cleared there by pricing without it', async () => {
    const name = uniqueName('env-cached');
    const sync = async (pricing: Record<string, unknown>) => {
      const providersJson = JSON.stringify([{ name: `${name}-provider`, base_url: 'http://127.0.0.1:9/v1', models: [{ name, pricing }] }]);
      const { platform } = world.server.server;
      await syncProvidersFromEnv({ ...platform, config: { ...platform.config, providersJson } });
      const models = await world.api.get(`/api/v1/models?search=${name}`);
      return (await world.api.get(`/api/v1/models/${models.body.data[0].id}`)).body.pricing;
    };
    expect(await sync({ ...PRICING, cached_input_tokens: 0.0000005 })).toEqual({ ...PRICING, cached_input_tokens: 0.0000005 });
    expect(await sync(PRICING)).toEqual(PRICING);
  });
});

describe('cached price and provider floors', () => {
  const floor = { input_tokens: 0.000001, output_tokens: 0.000002 };
  let floored: { id: string };
  const routes = () => [{ provider_id: floored.id, upstream_model: 'dear' }];

  beforeAll(async () => {
    floored = await createProvider(world.api, world.admin.token, { min_price: floor });
  });

  it('holds a developer’s cached price to the provider’s input floor, on create and on update', async () => {
    const { api } = world;
    const below = await api.post(
      '/api/v1/models',
      { name: uniqueName('under'), category: 'text', routes: routes(), pricing: { ...floor, cached_input_tokens: 0.0000005 } },
      dev.token,
    );
    expect(expectError(below, 400, 'INVALID_REQUEST').details).toEqual({ field: 'pricing', provider_ids: [floored.id], min_price: floor });

    const atFloor = await createModel(api, dev.token, { routes: routes(), pricing: { ...floor, cached_input_tokens: floor.input_tokens } });
    expect(atFloor.pricing).toEqual({ ...floor, cached_input_tokens: floor.input_tokens });
    expectError(
      await api.patch(`/api/v1/models/${atFloor.id}`, { pricing: { ...floor, cached_input_tokens: 0 } }, dev.token),
      400,
      'INVALID_REQUEST',
    );

    // A model priced freely elsewhere cannot be moved onto the floored provider with its cheap cached price.
    const elsewhere = await createProvider(world.api, world.admin.token);
    const cheap = await createModel(api, dev.token, {
      routes: [{ provider_id: elsewhere.id, upstream_model: 'cheap' }],
      pricing: { ...floor, cached_input_tokens: 0 },
    });
    expect(
      expectError(await api.patch(`/api/v1/models/${cheap.id}`, { routes: routes() }, dev.token), 400, 'INVALID_REQUEST').details,
    ).toMatchObject({
      field: 'pricing',
      provider_ids: [floored.id],
    });
    expect((await api.patch(`/api/v1/models/${cheap.id}`, { routes: routes(), pricing: floor }, dev.token)).status).toBe(200);
  });

  it('lets an admin set a cached price below the floor', async () => {
    const model = await createModel(world.api, world.admin.token, { routes: routes(), pricing: { ...floor, cached_input_tokens: 0 } });
    expect(model.pricing).toEqual({ ...floor, cached_input_tokens: 0 });
  });
});

describe('billing cached input tokens through /v1/chat/completions', () => {
  let cachedModel: { id: string; name: string };
  let plainModel: { id: string; name: string };

  beforeAll(async () => {
    const provider = await createMockProvider(world);
    // The mock's `cached` behaviour reports half the prompt in prompt_tokens_details.cached_tokens.
    cachedModel = await createRoutedModel(world, [{ provider_id: provider.id, upstream_model: 'mock-cached' }], {
      pricing: { ...PRICING, cached_input_tokens: 0.0000005 },
    });
    plainModel = await createRoutedModel(world, [{ provider_id: provider.id, upstream_model: 'mock-cached' }]);
  });

  async function caller() {
    const user = await signUp(world.api);
    const key = await world.api.post('/api/v1/api-keys', { name: 'cache' }, user.token);
    expect(key.status).toBe(201);
    return { user, openai: new OpenAI({ apiKey: key.body.key, baseURL: `${world.server.url}/v1`, maxRetries: 0 }) };
  }

  async function booksOf(userId: string) {
    await settled(world.server);
    await world.server.server.platform.leases?.drain();
    const db = world.server.server.platform.db;
    const wallet = await db.selectFrom('wallets').select('balance_nano').where('user_id', '=', userId).executeTakeFirstOrThrow();
    const usage = await db
      .selectFrom('usage_records')
      .select(['input_tokens', 'cached_input_tokens', 'output_tokens', 'cost_nano', 'status'])
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .execute();
    return { balance: wallet.balance_nano, usage };
  }

  it('charges cached tokens at the cached price, without streaming and streaming, and shows them in /api/v1/usage', async () => {
    const { user, openai } = await caller();
    const before = await booksOf(user.id);

    const completion = await openai.chat.completions.create({
      model: cachedModel.name,
      messages: [{ role: 'user', content: 'A long system of instructions worth caching, then a question' }],
    });
    const usage = completion.usage!;
    const cached = mockCachedTokens(usage.prompt_tokens);
    expect(cached).toBeGreaterThan(0);
    expect(usage.prompt_tokens_details?.cached_tokens).toBe(cached);

    const stream = await openai.chat.completions.create({
      model: cachedModel.name,
      messages: [{ role: 'user', content: 'The same again, streamed this time please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let streamedUsage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) if (chunk.usage) streamedUsage = chunk.usage;
    const streamedCached = mockCachedTokens(streamedUsage!.prompt_tokens);
    expect(streamedUsage!.prompt_tokens_details?.cached_tokens).toBe(streamedCached);

    const costOf = (u: OpenAI.CompletionUsage, c: number) =>
      BigInt(u.prompt_tokens - c) * INPUT_NANO_PER_TOKEN + BigInt(c) * CACHED_NANO + BigInt(u.completion_tokens) * OUTPUT_NANO_PER_TOKEN;
    const after = await booksOf(user.id);
    expect(after.usage).toEqual([
      {
        input_tokens: usage.prompt_tokens,
        cached_input_tokens: cached,
        output_tokens: usage.completion_tokens,
        cost_nano: costOf(usage, cached),
        status: 'success',
      },
      {
        input_tokens: streamedUsage!.prompt_tokens,
        cached_input_tokens: streamedCached,
        output_tokens: streamedUsage!.completion_tokens,
        cost_nano: costOf(streamedUsage!, streamedCached),
        status: 'success',
      },
    ]);
    // Cheaper than at the input price, and exactly what the wallet lost.
    expect(costOf(usage, cached)).toBeLessThan(costOf(usage, 0));
    expect(before.balance - after.balance).toBe(costOf(usage, cached) + costOf(streamedUsage!, streamedCached));

    const report = await world.api.get('/api/v1/usage', user.token);
    expect(report.status).toBe(200);
    expect(report.body.data.map((r: { cached_input_tokens?: number }) => r.cached_input_tokens).sort()).toEqual(
      [cached, streamedCached].sort(),
    );
  });

  it('charges cached tokens at the input price when the model sets no cached price', async () => {
    const { user, openai } = await caller();
    const completion = await openai.chat.completions.create({
      model: plainModel.name,
      messages: [{ role: 'user', content: 'A long system of instructions worth caching, then a question' }],
    });
    const usage = completion.usage!;
    expect(usage.prompt_tokens_details?.cached_tokens).toBe(mockCachedTokens(usage.prompt_tokens));
    const { usage: records } = await booksOf(user.id);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      cached_input_tokens: mockCachedTokens(usage.prompt_tokens),
      cost_nano: BigInt(usage.prompt_tokens) * INPUT_NANO_PER_TOKEN + BigInt(usage.completion_tokens) * OUTPUT_NANO_PER_TOKEN,
    });
  });
});
