import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceNano, type ChatWorld, createMockProvider, createRoutedModel, settled, signUp, startChatWorld } from '../kit/index.js';
import { startImagesUpstream } from '../kit/mock-images-upstream.js';
import { decodePng, solidPng } from '../kit/png.js';

// Issue 14: the OpenAI-compatible adapter's images, against a strict OpenAI images upstream: JSON
// generations, multipart edits built with the standard FormData, always asked as b64_json (the
// platform stores and serves the images itself). A failed call costs nothing; fewer images than
// asked are billed as delivered.

let world: ChatWorld;
let upstream: Awaited<ReturnType<typeof startImagesUpstream>>;
let providerId: string;

/** 0.05 an image; 0.08 for 1024x1024 (the reservation's worst case). */
const PRICING = { input_tokens: 0, output_tokens: 0, per_image: 0.05, per_image_by: [{ size: '1024x1024', price: 0.08 }] };

async function newCaller() {
  const user = await signUp(world.api);
  const key = await world.api.post('/api/v1/api-keys', { name: 'images' }, user.token);
  return { user, client: new OpenAI({ apiKey: key.body.key as string, baseURL: `${world.server.url}/v1`, maxRetries: 0 }) };
}

async function imageModel(upstreamModel: string) {
  return createRoutedModel(world, [{ provider_id: providerId, upstream_model: upstreamModel }], { category: 'image', pricing: PRICING });
}

async function costRows(userId: string) {
  await settled(world.server);
  await world.server.server.platform.leases?.drain();
  return world.server.server.platform.db
    .selectFrom('usage_records')
    .select(['status', 'cost_nano', 'units'])
    .where('user_id', '=', userId)
    .execute();
}

beforeAll(async () => {
  world = await startChatWorld();
  upstream = await startImagesUpstream();
  providerId = (await createMockProvider(world, { base_url: upstream.url, api_key: upstream.apiKey })).id;
});
afterAll(async () => {
  await world?.server.close();
  await world?.upstream.close();
  await upstream?.close();
});

describe('images on an OpenAI-compatible upstream', () => {
  it('generates through {base}/images/generations as JSON with Bearer auth and serves the images as files', async () => {
    const model = await imageModel('img-ok');
    const { user, client } = await newCaller();
    const res = await client.images.generate({ model: model.name, prompt: 'a lighthouse', n: 2, size: '512x512', quality: 'standard' });
    expect(upstream.refusals).toEqual([]);
    const sent = upstream.requests.at(-1)!;
    expect(sent.path).toBe('/v1/images/generations');
    expect(sent.headers.authorization).toBe(`Bearer ${upstream.apiKey}`);
    expect(sent.fields).toEqual({
      model: 'img-ok',
      prompt: 'a lighthouse',
      n: 2,
      size: '512x512',
      quality: 'standard',
      response_format: 'b64_json',
    });
    expect(res.data).toHaveLength(2);
    expect(res.data![0]!.revised_prompt).toBe('revised: a lighthouse');
    const { pathname } = new URL(res.data![0]!.url!);
    const file = await fetch(`${world.server.url}${pathname}`, { headers: { authorization: `Bearer ${user.token}` } });
    expect(file.status).toBe(200);
    const png = decodePng(new Uint8Array(await file.arrayBuffer()));
    expect([png.width, png.height]).toEqual([512, 512]);
    const rows = await costRows(user.id);
    expect(rows).toEqual([
      expect.objectContaining({
        status: 'success',
        cost_nano: 100_000_000n,
        units: { unit: 'image', quantity: 2, unit_price_nano: '50000000' },
      }),
    ]);
  });

  it('edits through {base}/images/edits as multipart: the image and mask parts with their types, the fields as text', async () => {
    const model = await imageModel('img-ok');
    const { user, client } = await newCaller();
    const image = solidPng(40, 30, [1, 2, 3]);
    const res = await client.images.edit({
      model: model.name,
      prompt: 'paint it red',
      image: await toFile(image, 'in.png', { type: 'image/png' }),
      mask: await toFile(solidPng(40, 30, [0, 0, 0]), 'mask.png', { type: 'image/png' }),
      size: '256x256',
      response_format: 'b64_json',
    });
    expect(upstream.refusals).toEqual([]);
    const sent = upstream.requests.at(-1)!;
    expect(sent.path).toBe('/v1/images/edits');
    expect(sent.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(sent.fields).toEqual({ model: 'img-ok', prompt: 'paint it red', n: '1', size: '256x256', response_format: 'b64_json' });
    expect(sent.files).toEqual([
      { field: 'image', type: 'image/png', bytes: image.length, filename: 'in.png' },
      expect.objectContaining({ field: 'mask', type: 'image/png', filename: 'mask.png' }),
    ]);
    const png = decodePng(Buffer.from(res.data![0]!.b64_json!, 'base64'));
    expect([png.width, png.height]).toEqual([256, 256]);
    expect((await costRows(user.id)).map((r) => r.cost_nano)).toEqual([50_000_000n]);
  });

  it('bills only the images delivered when the provider makes fewer than asked', async () => {
    const model = await imageModel('img-fewer');
    const { user, client } = await newCaller();
    const before = await balanceNano(world.server, user.id);
    const res = await client.images.generate({ model: model.name, prompt: 'four', n: 4, size: '1024x1024', response_format: 'b64_json' });
    expect(res.data).toHaveLength(3);
    const rows = await costRows(user.id);
    expect(rows).toEqual([
      expect.objectContaining({ cost_nano: 240_000_000n, units: { unit: 'image', quantity: 3, unit_price_nano: '80000000' } }),
    ]);
    expect(before - (await balanceNano(world.server, user.id))).toBe(240_000_000n);
  });

  it('charges nothing and keeps no file when the upstream fails', async () => {
    const model = await imageModel('img-500');
    const { user, client } = await newCaller();
    const before = await balanceNano(world.server, user.id);
    const error = await client.images.generate({ model: model.name, prompt: 'boom', n: 3 }).then(
      () => null,
      (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
    );
    expect(error?.status).toBe(502);
    const rows = await costRows(user.id);
    expect(rows.map((r) => [r.status, r.cost_nano, r.units])).toEqual([['failed', 0n, null]]);
    expect(await balanceNano(world.server, user.id)).toBe(before);
    expect((await world.api.get('/api/v1/files', user.token)).body.data).toEqual([]);
  });
});
