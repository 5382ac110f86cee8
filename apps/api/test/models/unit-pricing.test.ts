import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiClient,
  type ApiClient,
  expectError,
  signUpAs,
  startTestServer,
  type TestServer,
  type TestUser,
  uniqueName,
} from '../kit/index.js';

// Issue 14 part 5: a model keeps its per-token prices and may add per-unit prices, stored as
// models.unit_prices (nano-units as decimal strings) and shown only when set.

let server: TestServer;
let api: ApiClient;
let dev: TestUser;

beforeAll(async () => {
  server = await startTestServer();
  api = apiClient(server.url);
  dev = await signUpAs(server, api, 'developer');
});
afterAll(async () => {
  await server?.close();
});

const TOKENS = { input_tokens: 0, output_tokens: 0 };

describe('per-unit pricing on /api/v1/models', () => {
  it('round-trips per_image (by size and quality), per_second, per_1k_characters and per_minute', async () => {
    const pricing = {
      ...TOKENS,
      per_image: '0.04',
      per_image_by: [
        { size: '1024x1024', quality: 'hd', price: 0.08 },
        { size: '512x512', price: '0.02' },
      ],
      per_second: 0.001,
      per_1k_characters: '0.015',
      per_minute: 0.006,
    };
    const created = await api.post(
      '/api/v1/models',
      { name: uniqueName('units'), category: 'image', visibility: 'public', pricing },
      dev.token,
    );
    expect(created.status).toBe(201);
    const shown = {
      ...TOKENS,
      per_image: 0.04,
      per_image_by: [
        { size: '1024x1024', quality: 'hd', price: 0.08 },
        { size: '512x512', price: 0.02 },
      ],
      per_second: 0.001,
      per_1k_characters: 0.015,
      per_minute: 0.006,
    };
    expect(created.body.pricing).toEqual(shown);
    expect((await api.get(`/api/v1/models/${created.body.id}`)).body.pricing).toEqual(shown);
    const row = await server.server.platform.db
      .selectFrom('models')
      .select('unit_prices')
      .where('id', '=', created.body.id)
      .executeTakeFirstOrThrow();
    expect(row.unit_prices).toEqual({
      per_image: '40000000',
      per_image_by: [
        { size: '1024x1024', quality: 'hd', price: '80000000' },
        { size: '512x512', price: '20000000' },
      ],
      per_second: '1000000',
      per_1k_characters: '15000000',
      per_minute: '6000000',
    });

    // Pricing is replaced as a whole: a PATCH without unit prices removes them.
    const tokensOnly = await api.patch(`/api/v1/models/${created.body.id}`, { pricing: TOKENS }, dev.token);
    expect(tokensOnly.body.pricing).toEqual(TOKENS);
  });

  it('refuses negative, over-precise, oversized and malformed unit prices with a 400', async () => {
    for (const bad of [
      { per_image: -1 },
      { per_second: '0.0000000001' },
      { per_minute: 100_000 },
      { per_image_by: [{ size: 'big', price: 1 }] },
      { per_image_by: [{ size: '512x512', price: 1, colour: 'red' }] },
      { per_pixel: 1 },
    ]) {
      const res = await api.post(
        '/api/v1/models',
        { name: uniqueName('bad'), category: 'image', visibility: 'public', pricing: { ...TOKENS, ...bad } },
        dev.token,
      );
      expectError(res, 400, 'INVALID_REQUEST');
    }
  });
});
