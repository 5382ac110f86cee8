import { request as httpRequest } from 'node:http';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceNano, type ChatWorld, createRoutedModel, settled, signUp, startChatWorld } from '../kit/index.js';
import { decodePng, rgbaPng, solidPng } from '../kit/png.js';

// Issue 14: POST /v1/images/generations and /v1/images/edits with the official openai client, on
// the offline demo provider (a real PNG drawn from the prompt, at the asked size): images are the
// caller's files, billed per image at the price of their size and quality, the reservation holding
// n × the dearest price.

let world: ChatWorld;

/** demo-image-sketch's seeded prices: 0.01 an image, 0.02 for an hd 1024x1024 one. */
const PER_IMAGE_NANO = 10_000_000n;
const HD_1024_NANO = 20_000_000n;

async function newCaller() {
  const user = await signUp(world.api);
  const key = await world.api.post('/api/v1/api-keys', { name: 'images' }, user.token);
  expect(key.status).toBe(201);
  return { user, client: new OpenAI({ apiKey: key.body.key as string, baseURL: `${world.server.url}/v1`, maxRetries: 0 }) };
}

async function rejection(promise: Promise<unknown>) {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error as InstanceType<typeof OpenAI.APIError>,
  );
}

/** The bytes behind an image `url`: the platform's own file content route, with the caller's token. */
async function fetchImage(url: string, token: string) {
  const { pathname } = new URL(url);
  expect(pathname).toMatch(/^\/api\/v1\/files\/file_[A-Za-z0-9_-]+\/content$/);
  const res = await fetch(`${world.server.url}${pathname}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, type: res.headers.get('content-type'), bytes: new Uint8Array(await res.arrayBuffer()), pathname };
}

async function settle() {
  await settled(world.server);
  await world.server.server.platform.leases?.drain();
}

beforeAll(async () => {
  world = await startChatWorld({ MAAS_SEED_DEMO: '1' });
});
afterAll(async () => {
  await world?.server.close();
  await world?.upstream.close();
});

describe('POST /v1/images/generations on the demo provider', () => {
  it('answers a url to a PNG file of the asked size, drawn from the prompt, that only its owner can read', async () => {
    const { user, client } = await newCaller();
    const res = await client.images.generate({ model: 'demo-image-sketch', prompt: 'a red fox under a blue moon', size: '1536x1024' });
    expect(res.data).toHaveLength(1);
    const image = await fetchImage(res.data![0]!.url!, user.token);
    expect(image.status).toBe(200);
    expect(image.type).toBe('image/png');
    const png = decodePng(image.bytes);
    expect([png.width, png.height]).toEqual([1536, 1024]);
    // Drawn, not blank: a gradient plus one shape per word gives many distinct colours.
    const colours = new Set<number>();
    for (let i = 0; i < png.pixels.length; i += png.channels) colours.add(png.pixels.readUIntBE(i, 3));
    expect(colours.size).toBeGreaterThan(20);

    // The same prompt and size draw the same picture.
    const again = await client.images.generate({ model: 'demo-image-sketch', prompt: 'a red fox under a blue moon', size: '1536x1024' });
    expect(Buffer.from((await fetchImage(again.data![0]!.url!, user.token)).bytes).equals(Buffer.from(image.bytes))).toBe(true);

    // A generated file is listed among the caller's files, and nobody else can read it.
    const fileId = image.pathname.split('/')[4]!;
    const listed = await world.api.get('/api/v1/files?purpose=generated', user.token);
    expect(listed.status).toBe(200);
    const file = (listed.body.data as { id: string; content_type: string; expires_at: string | null; metadata?: unknown }[]).find(
      (f) => f.id === fileId,
    );
    expect(file).toMatchObject({ content_type: 'image/png', metadata: { width: 1536, height: 1024 } });
    expect(file!.expires_at).not.toBeNull();
    const stranger = await signUp(world.api);
    expect((await fetchImage(res.data![0]!.url!, stranger.token)).status).toBe(404);
    expect((await world.api.get(`/api/v1/files/${fileId}`, stranger.token)).status).toBe(404);
    expect((await fetch(`${world.server.url}${image.pathname}`)).status).toBe(401);
  });

  it('answers b64_json PNGs that decode to the asked size, n of them, each different', async () => {
    const { client } = await newCaller();
    const res = await client.images.generate({
      model: 'demo-image-sketch',
      prompt: 'three small boats',
      n: 3,
      size: '256x256',
      response_format: 'b64_json',
    });
    expect(res.data).toHaveLength(3);
    const decoded = res.data!.map((d) => decodePng(Buffer.from(d.b64_json!, 'base64')));
    for (const png of decoded) expect([png.width, png.height]).toEqual([256, 256]);
    expect(new Set(res.data!.map((d) => d.b64_json)).size).toBe(3);
  });

  it('uses 1024x1024 without a size, and draws any size within its limits', async () => {
    const { client } = await newCaller();
    const res = await client.images.generate({ model: 'demo-image-sketch', prompt: 'default size', response_format: 'b64_json' });
    const png = decodePng(Buffer.from(res.data![0]!.b64_json!, 'base64'));
    expect([png.width, png.height]).toEqual([1024, 1024]);
    // Any WIDTHxHEIGHT the demo can draw, beyond the sizes the client's types list.
    const custom = await client.post<{ data: { b64_json: string }[] }>('/images/generations', {
      body: { model: 'demo-image-sketch', prompt: 'odd size', size: '64x48', response_format: 'b64_json' },
    });
    const small = decodePng(Buffer.from(custom.data[0]!.b64_json, 'base64'));
    expect([small.width, small.height]).toEqual([64, 48]);
  });

  it('refuses a bad n, size or response_format with a 400 naming the field, and a chat model with a 400', async () => {
    const { client } = await newCaller();
    const cases: [Record<string, unknown>, string][] = [
      [{ n: 0 }, 'n'],
      [{ n: 11 }, 'n'],
      [{ size: 'big' }, 'size'],
      [{ size: '4096x4096' }, 'size'],
      [{ response_format: 'gif' }, 'response_format'],
      [{ prompt: '' }, 'prompt'],
    ];
    for (const [body, field] of cases) {
      const error = await rejection(client.post('/images/generations', { body: { model: 'demo-image-sketch', prompt: 'x', ...body } }));
      expect(error.status, JSON.stringify(body)).toBe(400);
      expect(error.message).toContain(field);
    }
    const wrongModel = await rejection(client.images.generate({ model: 'demo-chat', prompt: 'x' }));
    expect(wrongModel.status).toBe(400);
  });
});

describe('billing of images', () => {
  it('charges n × the price of the delivered size and quality, records units and unit price, and shows them in the usage API', async () => {
    const { user, client } = await newCaller();
    const before = await balanceNano(world.server, user.id);
    await client.images.generate({ model: 'demo-image-sketch', prompt: 'two cats', n: 2, size: '256x256', response_format: 'b64_json' });
    await client.images.generate({
      model: 'demo-image-sketch',
      prompt: 'hd',
      n: 3,
      size: '1024x1024',
      quality: 'hd',
      response_format: 'b64_json',
    });
    await settle();
    expect(before - (await balanceNano(world.server, user.id))).toBe(2n * PER_IMAGE_NANO + 3n * HD_1024_NANO);
    const usage = await world.api.get('/api/v1/usage', user.token);
    expect(usage.status).toBe(200);
    const records = (usage.body.data as { units?: unknown; cost: number; status: string }[]).map((r) => ({ units: r.units, cost: r.cost }));
    expect(records).toEqual(
      expect.arrayContaining([
        { units: { unit: 'image', quantity: 2, unit_price: 0.01 }, cost: 0.02 },
        { units: { unit: 'image', quantity: 3, unit_price: 0.02 }, cost: 0.06 },
      ]),
    );
    expect(records).toHaveLength(2);
  });

  it('reserves n × the dearest image price: a call that would be affordable at its own price is refused with 402 if the worst case is not', async () => {
    const demo = (await world.api.get('/api/v1/providers?limit=100', world.admin.token)).body.data.find(
      (p: { name: string }) => p.name === 'demo-echo',
    ) as { id: string };
    // 3 an image, 4 an hd one: a new user's 10 cover 3 images (9) but not the worst case (12).
    const model = await createRoutedModel(world, [{ provider_id: demo.id, upstream_model: 'sketch' }], {
      category: 'image',
      pricing: { input_tokens: 0, output_tokens: 0, per_image: 3, per_image_by: [{ quality: 'hd', price: 4 }] },
    });
    const { user, client } = await newCaller();
    const before = await balanceNano(world.server, user.id);
    expect(before).toBe(10_000_000_000n);
    const refused = await rejection(client.images.generate({ model: model.name, prompt: 'x', n: 3, size: '256x256' }));
    expect(refused.status).toBe(402);
    await client.images.generate({ model: model.name, prompt: 'x', n: 2, size: '256x256' });
    await settle();
    expect(before - (await balanceNano(world.server, user.id))).toBe(6_000_000_000n);
  });
});

describe('a failed image call', () => {
  it('costs nothing and leaves no file: the demo refuses a size beyond its limit after the reservation', async () => {
    const { user, client } = await newCaller();
    const before = await balanceNano(world.server, user.id);
    const error = await rejection(
      client.post('/images/generations', { body: { model: 'demo-image-sketch', prompt: 'too big', n: 2, size: '4000x4000' } }),
    );
    expect(error.status).toBe(400);
    expect(error.message).toContain('4000x4000');
    await settle();
    expect(await balanceNano(world.server, user.id)).toBe(before);
    const rows = await world.server.server.platform.db
      .selectFrom('usage_records')
      .select(['status', 'cost_nano', 'units'])
      .where('user_id', '=', user.id)
      .execute();
    expect(rows).toEqual([{ status: 'failed', cost_nano: 0n, units: null }]);
    expect((await world.api.get('/api/v1/files', user.token)).body.data).toEqual([]);
  });
});

describe('POST /v1/images/edits on the demo provider', () => {
  it("takes a PNG (and a mask) as multipart and answers images of the input size, as the caller's files", async () => {
    const { user, client } = await newCaller();
    const input = solidPng(96, 64, [10, 200, 30]);
    const res = await client.images.edit({
      model: 'demo-image-sketch',
      prompt: 'add a yellow sun',
      image: await toFile(input, 'garden.png', { type: 'image/png' }),
      mask: await toFile(solidPng(96, 64, [0, 0, 0]), 'mask.png', { type: 'image/png' }),
      n: 2,
    });
    expect(res.data).toHaveLength(2);
    const edited: Buffer[] = [];
    for (const item of res.data!) {
      const image = await fetchImage(item.url!, user.token);
      const png = decodePng(image.bytes);
      expect([png.width, png.height]).toEqual([96, 64]);
      edited.push(png.pixels);
    }
    // The n images of one call differ.
    expect(edited[0]!.equals(edited[1]!)).toBe(false);
    const sized = await client.images.edit({
      model: 'demo-image-sketch',
      prompt: 'smaller',
      image: await toFile(input, 'garden.png'),
      size: '256x256',
      response_format: 'b64_json',
    });
    const png = decodePng(Buffer.from(sized.data![0]!.b64_json!, 'base64'));
    expect([png.width, png.height]).toEqual([256, 256]);
    await settle();
    expect((await world.api.get('/api/v1/usage', user.token)).body.data).toHaveLength(2);
  });

  it('paints the prompt over the input only where the mask is transparent', async () => {
    const { client } = await newCaller();
    const green: [number, number, number] = [10, 200, 30];
    // Transparent (editable) on the left half, opaque (kept) on the right half.
    const mask = rgbaPng(96, 64, (x) => [0, 0, 0, x < 48 ? 0 : 255]);
    const res = await client.images.edit({
      model: 'demo-image-sketch',
      prompt: 'sun moon stars clouds birds kites balloons planes rain snow wind fog',
      image: await toFile(solidPng(96, 64, green), 'garden.png', { type: 'image/png' }),
      mask: await toFile(mask, 'mask.png', { type: 'image/png' }),
      response_format: 'b64_json',
    });
    const png = decodePng(Buffer.from(res.data![0]!.b64_json!, 'base64'));
    expect([png.width, png.height]).toEqual([96, 64]);
    const at = (x: number, y: number) => [...png.pixels.subarray((y * 96 + x) * 3, (y * 96 + x) * 3 + 3)];
    let keptRight = true;
    let paintedLeft = 0;
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 96; x++) {
        const same = at(x, y).every((v, c) => v === green[c]);
        if (x >= 48 && !same) keptRight = false;
        if (x < 48 && !same) paintedLeft++;
      }
    }
    expect(keptRight).toBe(true);
    expect(paintedLeft).toBeGreaterThan(100);
  });

  it('refuses a file of the wrong type with a 400 and a missing image with a 400, charging nothing', async () => {
    const { user, client } = await newCaller();
    const before = await balanceNano(world.server, user.id);
    const wrongType = await rejection(
      client.images.edit({
        model: 'demo-image-sketch',
        prompt: 'x',
        image: await toFile(Buffer.from('%PDF-1.7 not an image'), 'doc.pdf', { type: 'application/pdf' }),
      }),
    );
    expect(wrongType.status).toBe(400);
    expect(wrongType.message).toContain('application/pdf');
    const noImage = await rejection(client.post('/images/edits', { body: { model: 'demo-image-sketch', prompt: 'x' } }));
    expect(noImage.status).toBe(400);
    await settle();
    expect(await balanceNano(world.server, user.id)).toBe(before);
  });

  it('answers a declared 2 GB body with 413 before a byte of it is sent', async () => {
    const { user } = await newCaller();
    const key = (await world.api.post('/api/v1/api-keys', { name: 'big' }, user.token)).body.key as string;
    const url = new URL(`${world.server.url}/v1/images/edits`);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            authorization: `Bearer ${key}`,
            'content-type': 'multipart/form-data; boundary=----x',
            'content-length': String(2 * 1024 ** 3),
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        },
      );
      req.on('error', reject);
      // Headers only: no body is ever written.
      req.flushHeaders();
      setTimeout(() => reject(new Error('no answer before the body')), 5_000).unref();
    });
    expect(status).toBe(413);
  });
});
