import { request as httpRequest } from 'node:http';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { speakToFile } from '@maas/api';
import { balanceNano, type ChatWorld, createRoutedModel, settled, signUp, startChatWorld } from '../kit/index.js';
import { parseWav, toneWav } from '../kit/wav.js';

// Issue 14: POST /v1/audio/speech and /v1/audio/transcriptions with the official openai client, on
// the offline demo provider: speech is a real WAV (or MP3, or raw PCM) of 20 ms + round(60 ms ÷
// speed) per character, whose tones the demo transcription decodes back to the text; billed per
// 1 000 characters, per second or per minute, and nothing for a failed call.

let world: ChatWorld;

/** demo-voice's seeded prices: 0.015 per 1 000 characters of speech, 0.006 per minute transcribed. */
const PER_1K_CHARACTERS_NANO = 15_000_000n;
const PER_MINUTE_NANO = 6_000_000n;

const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;
const characters = (text: string) => Array.from(text).length;
/** The demo's documented length of speech. */
const demoMs = (text: string, speed = 1) => 20 + characters(text) * Math.max(15, Math.round(60 / speed));

async function newCaller() {
  const user = await signUp(world.api);
  const key = await world.api.post('/api/v1/api-keys', { name: 'audio' }, user.token);
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

async function settle() {
  await settled(world.server);
  await world.server.server.platform.leases?.drain();
}

async function usageRecords(token: string) {
  const res = await world.api.get('/api/v1/usage', token);
  expect(res.status).toBe(200);
  return res.body.data as { status: string; cost: number; units?: { unit: string; quantity: number; unit_price: number } }[];
}

async function usageRows(userId: string) {
  return world.server.server.platform.db
    .selectFrom('usage_records')
    .select(['cost_nano', 'status', 'units'])
    .where('user_id', '=', userId)
    .execute();
}

async function speak(client: OpenAI, body: Parameters<OpenAI['audio']['speech']['create']>[0]) {
  const res = await client.audio.speech.create(body);
  return {
    type: res.headers.get('content-type'),
    encoding: res.headers.get('transfer-encoding'),
    bytes: new Uint8Array(await res.arrayBuffer()),
  };
}

/** A speech model on the demo provider, priced per second. */
async function perSecondModel(perSecond: number) {
  const providers = await world.api.get('/api/v1/providers', world.admin.token);
  const demo = (providers.body.data as { id: string; kind: string }[]).find((p) => p.kind === 'demo-echo')!;
  return createRoutedModel(world, [{ provider_id: demo.id, upstream_model: 'demo-voice' }], {
    category: 'audio',
    operations: ['speech'],
    pricing: { input_tokens: 0.000002, output_tokens: 0.000004, per_second: perSecond },
  });
}

beforeAll(async () => {
  world = await startChatWorld({ MAAS_SEED_DEMO: '1' });
});
afterAll(async () => {
  await world?.server.close();
  await world?.upstream.close();
});

describe('POST /v1/audio/speech on the demo provider', () => {
  it('streams a valid 24 kHz 16-bit mono WAV whose length follows the characters and speed', async () => {
    const { client } = await newCaller();
    for (const [input, speed] of [
      ['Hello from the demo voice.', 1],
      ['你好，世界！', 2],
      ['slow', 0.5],
    ] as const) {
      const audio = await speak(client, { model: 'demo-voice', voice: 'alloy', input, response_format: 'wav', speed });
      expect(audio.type).toBe('audio/wav');
      expect(audio.encoding).toBe('chunked');
      const wav = parseWav(audio.bytes);
      expect(wav).toMatchObject({ audioFormat: 1, channels: 1, sampleRate: 24_000, bitsPerSample: 16, chunks: ['fmt ', 'data'] });
      expect(wav.durationMs).toBe(demoMs(input, speed));
    }
  });

  it('answers MP3 (MPEG-2 layer III frames at 24 kHz) and raw PCM of the same length', async () => {
    const { client } = await newCaller();
    const input = 'Formats other than WAV.';
    const mp3 = await speak(client, { model: 'demo-voice', voice: 'alloy', input, response_format: 'mp3' });
    expect(mp3.type).toBe('audio/mpeg');
    // Frame sync, MPEG-2, layer III, then the 24 kHz sample-rate index.
    expect(mp3.bytes[0]).toBe(0xff);
    expect(mp3.bytes[1]! & 0xfe).toBe(0xf2);
    expect((mp3.bytes[2]! >> 2) & 3).toBe(1);
    const pcm = await speak(client, { model: 'demo-voice', voice: 'alloy', input, response_format: 'pcm' });
    expect(pcm.type).toBe('audio/pcm');
    expect(pcm.bytes.length).toBe((demoMs(input) * 24_000 * 2) / 1000);
  });

  it('bills per 1 000 characters exactly, and the usage API shows the unit and its price', async () => {
    const { user, client } = await newCaller();
    const before = await balanceNano(world.server, user.id);
    const input = 'Billing by characters: ünïcödé counts as one each. 🎉';
    await speak(client, { model: 'demo-voice', voice: 'nova', input, response_format: 'wav' });
    await settle();
    const cost = ceilDiv(BigInt(characters(input)) * PER_1K_CHARACTERS_NANO, 1_000n);
    expect(before - (await balanceNano(world.server, user.id))).toBe(cost);
    expect(await usageRows(user.id)).toEqual([
      {
        cost_nano: cost,
        status: 'success',
        units: { unit: '1k_characters', quantity: characters(input) / 1000, unit_price_nano: '15000000' },
      },
    ]);
    const [record] = await usageRecords(user.token);
    expect(record).toMatchObject({
      status: 'success',
      units: { unit: '1k_characters', quantity: characters(input) / 1000, unit_price: 0.015 },
    });
    expect(record!.cost).toBe(Number(cost) / 1e9);
  });

  it('bills per second of the audio delivered on a model priced per second', async () => {
    const model = await perSecondModel(0.0017);
    const { user, client } = await newCaller();
    const before = await balanceNano(world.server, user.id);
    const input = 'Seconds, not characters.';
    const audio = await speak(client, { model: model.name, voice: 'echo', input, response_format: 'wav', speed: 1.5 });
    const ms = parseWav(audio.bytes).durationMs;
    expect(ms).toBe(demoMs(input, 1.5));
    await settle();
    const cost = ceilDiv(BigInt(ms) * 1_700_000n, 1_000n);
    expect(before - (await balanceNano(world.server, user.id))).toBe(cost);
    expect(await usageRecords(user.token)).toEqual([
      expect.objectContaining({ status: 'success', units: { unit: 'second', quantity: ms / 1000, unit_price: 0.0017 } }),
    ]);
  });

  it('holds the worst case before the audio exists: a wallet short of it gets a 402, one that covers it pays what was spoken', async () => {
    const model = await perSecondModel(1);
    const { user, client } = await newCaller();
    // The reservation for 4 characters at speed 2: 4 × 250 ms ÷ 2 + 2 s = 2.5 s; the demo speaks 20 + 4 × 30 = 140 ms.
    const adjust = async (kind: 'debit' | 'credit', nanoAmount: bigint) => {
      const res = await world.api.post(
        `/api/v1/admin/users/${user.id}/wallet/${kind}`,
        { amount: Number(nanoAmount) / 1e9, reason: 'audio reservation test' },
        world.admin.token,
      );
      expect(res.status).toBe(201);
    };
    await adjust('debit', (await balanceNano(world.server, user.id)) - 2_000_000_000n);
    const short = await rejection(
      client.audio.speech.create({ model: model.name, voice: 'alloy', input: 'abcd', speed: 2, response_format: 'wav' }),
    );
    expect(short.status).toBe(402);
    await adjust('credit', 1_000_000_000n);
    const audio = await speak(client, { model: model.name, voice: 'alloy', input: 'abcd', speed: 2, response_format: 'wav' });
    expect(parseWav(audio.bytes).durationMs).toBe(140);
    await settle();
    expect(await balanceNano(world.server, user.id)).toBe(3_000_000_000n - 140_000_000n);
  });

  it('charges nothing for a failed call (a format the demo cannot make)', async () => {
    const { user, client } = await newCaller();
    const before = await balanceNano(world.server, user.id);
    const error = await rejection(
      client.audio.speech.create({ model: 'demo-voice', voice: 'alloy', input: 'opus please', response_format: 'opus' }),
    );
    expect(error.status).toBe(400);
    expect(error.message).toContain('opus');
    await settle();
    expect(await balanceNano(world.server, user.id)).toBe(before);
    expect((await usageRows(user.id)).map((r) => [r.status, r.cost_nano, r.units])).toEqual([['failed', 0n, null]]);
  });

  it('refuses what OpenAI refuses with a 400 naming the field, before anything is held', async () => {
    const { user, client } = await newCaller();
    const cases: [Record<string, unknown>, string][] = [
      [{ input: 'x', voice: 'alloy', speed: 5 }, 'speed'],
      [{ input: 'x', voice: 'alloy', response_format: 'ogg' }, 'response_format'],
      [{ input: 'x'.repeat(4_097), voice: 'alloy' }, 'input'],
      [{ input: '', voice: 'alloy' }, 'input'],
      [{ input: 'x' }, 'voice'],
      [{ input: 'x', voice: 'alloy', temperature: 1 }, 'temperature'],
      [{ input: 'x', voice: 'alloy', stream_format: 'sse' }, 'stream_format'],
    ];
    for (const [body, mention] of cases) {
      const error = await rejection(client.post('/audio/speech', { body: { model: 'demo-voice', ...body } }));
      expect(error.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(error.message).toContain(mention);
    }
    const chat = await rejection(client.audio.speech.create({ model: 'demo-chat', voice: 'alloy', input: 'hi' }));
    expect(chat.status).toBe(400);
    expect(chat.message).toContain('speech');
    await settle();
    expect(await usageRows(user.id)).toEqual([]);
  });
});

describe('POST /v1/audio/transcriptions on the demo provider', () => {
  it('decodes the demo speech back to its text, with the WAV duration, in every response format', async () => {
    const { client } = await newCaller();
    const input = 'The quick brown fox. Jumps over the lazy dog! 你好。';
    const audio = await speak(client, { model: 'demo-voice', voice: 'alloy', input, response_format: 'wav', speed: 1.25 });
    const file = () => toFile(Buffer.from(audio.bytes), 'speech.wav', { type: 'audio/wav' });

    const json = await client.audio.transcriptions.create({ model: 'demo-voice', file: await file() });
    expect(json.text).toBe(input);

    const verbose = await client.audio.transcriptions.create({ model: 'demo-voice', file: await file(), response_format: 'verbose_json' });
    expect(verbose.text).toBe(input);
    expect(verbose.duration).toBe(demoMs(input, 1.25) / 1000);
    expect(verbose.segments!.map((s) => s.text)).toEqual(['The quick brown fox.', 'Jumps over the lazy dog!', '你好。']);
    expect(verbose.segments![0]!.start).toBe(0.02);
    expect(verbose.segments!.at(-1)!.end).toBe(verbose.duration);

    const text = await client.audio.transcriptions.create({ model: 'demo-voice', file: await file(), response_format: 'text' });
    expect(String(text).trim()).toBe(input);

    const srt = await client.audio.transcriptions.create({ model: 'demo-voice', file: await file(), response_format: 'srt' });
    expect(String(srt)).toBe(
      verbose
        .segments!.map((s, i) => {
          const t = (sec: number) => new Date(Math.round(sec * 1000)).toISOString().slice(11, 23).replace('.', ',');
          return `${i + 1}\n${t(s.start)} --> ${t(s.end)}\n${s.text}\n\n`;
        })
        .join(''),
    );
  });

  it('answers deterministic text and the duration for audio it did not speak (WAV and MP3), sent as octet-stream', async () => {
    const { client } = await newCaller();
    const tone = toneWav(2_500);
    const first = await client.audio.transcriptions.create({
      model: 'demo-voice',
      file: await toFile(tone, 'tone.bin', { type: 'application/octet-stream' }),
      response_format: 'verbose_json',
    });
    const again = await client.audio.transcriptions.create({
      model: 'demo-voice',
      file: await toFile(tone, 'tone.wav'),
      response_format: 'verbose_json',
    });
    expect(first.duration).toBe(2.5);
    expect(first.text).toMatch(/^Demo transcript [0-9a-f]{8}: /);
    expect(again.text).toBe(first.text);

    const mp3 = await speak(client, { model: 'demo-voice', voice: 'alloy', input: 'an mp3 to transcribe', response_format: 'mp3' });
    const fromMp3 = await client.audio.transcriptions.create({
      model: 'demo-voice',
      file: await toFile(Buffer.from(mp3.bytes), 'speech.mp3'),
      response_format: 'verbose_json',
    });
    // Whole MPEG frames of 576 samples at 24 kHz: at least the speech, at most its frames plus the encoder's delay and flush.
    const speechMs = demoMs('an mp3 to transcribe');
    expect((fromMp3.duration * 1000 * 24) % 576).toBe(0);
    expect(fromMp3.duration * 1000).toBeGreaterThanOrEqual(speechMs);
    expect(fromMp3.duration * 1000).toBeLessThanOrEqual(speechMs + 4 * 24);
    expect(fromMp3.text).toMatch(/^Demo transcript /);
  });

  it('bills per minute of audio exactly and shows it in the usage API', async () => {
    const { user, client } = await newCaller();
    const before = await balanceNano(world.server, user.id);
    await client.audio.transcriptions.create({ model: 'demo-voice', file: await toFile(toneWav(7_250), 'tone.wav') });
    await settle();
    const cost = ceilDiv(7_250n * PER_MINUTE_NANO, 60_000n);
    expect(before - (await balanceNano(world.server, user.id))).toBe(cost);
    const [record] = await usageRecords(user.token);
    expect(record).toMatchObject({ status: 'success', units: { unit: 'minute', unit_price: 0.006 } });
    expect(record!.units!.quantity).toBeCloseTo(7_250 / 60_000, 6);
  });

  it('refuses a wrong MIME type, a missing file and a bad response_format with 400, and charges nothing', async () => {
    const { user, client } = await newCaller();
    const before = await balanceNano(world.server, user.id);
    const wrongType = await rejection(
      client.audio.transcriptions.create({
        model: 'demo-voice',
        file: await toFile(Buffer.from('just some text'), 'notes.txt', { type: 'text/plain' }),
      }),
    );
    expect(wrongType.status).toBe(400);
    expect(wrongType.message).toContain('text/plain');

    const form = new FormData();
    form.append('model', 'demo-voice');
    const missing = await fetch(`${world.server.url}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${client.apiKey}` },
      body: form,
    });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toContain('file');

    const format = await rejection(
      client.audio.transcriptions.create({
        model: 'demo-voice',
        file: await toFile(toneWav(100), 'a.wav'),
        response_format: 'xml' as 'json',
      }),
    );
    expect(format.status).toBe(400);
    expect(format.message).toContain('response_format');

    // An Ogg file the demo cannot read: the call fails and costs nothing.
    const ogg = Buffer.concat([Buffer.from('OggS'), Buffer.alloc(200)]);
    const unreadable = await rejection(client.audio.transcriptions.create({ model: 'demo-voice', file: await toFile(ogg, 'a.ogg') }));
    expect(unreadable.status).toBe(400);
    await settle();
    expect(await balanceNano(world.server, user.id)).toBe(before);
    expect((await usageRows(user.id)).map((r) => [r.status, r.cost_nano])).toEqual([['failed', 0n]]);
  });

  it('refuses a form whose declared length exceeds the limit with 413 before reading it', async () => {
    const { client } = await newCaller();
    const url = new URL(`${world.server.url}/v1/audio/transcriptions`);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: {
            authorization: `Bearer ${client.apiKey}`,
            'content-type': 'multipart/form-data; boundary=x',
            'content-length': String(200 * 1_048_576),
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
          req.destroy();
        },
      );
      req.on('error', reject);
      // Headers only: the answer must not wait for 200 MB that never come.
      req.flushHeaders();
    });
    expect(status).toBe(413);
  });

  it('refuses a call without a valid API key with 401', async () => {
    const client = new OpenAI({ apiKey: 'sk-not-a-key', baseURL: `${world.server.url}/v1`, maxRetries: 0 });
    expect(
      (await rejection(client.audio.transcriptions.create({ model: 'demo-voice', file: await toFile(toneWav(100), 'a.wav') }))).status,
    ).toBe(401);
    expect((await rejection(client.audio.speech.create({ model: 'demo-voice', voice: 'alloy', input: 'hi' }))).status).toBe(401);
  });
});

describe('speakToFile (speech for app chat)', () => {
  it('stores the audio as a generated file of the caller and bills it like the endpoint', async () => {
    const { user } = await newCaller();
    const platform = world.server.server.platform;
    const before = await balanceNano(world.server, user.id);
    const input = 'A reply read aloud.';
    const spoken = await speakToFile(
      platform,
      {
        actor: { userId: user.id, role: 'user', sessionId: null, apiKeyId: null },
        model: 'demo-voice',
        signal: new AbortController().signal,
        requestId: 'req-test',
      },
      { input, voice: 'alloy', format: 'wav', speed: 1 },
    );
    expect(spoken).toMatchObject({ contentType: 'audio/wav', durationMs: demoMs(input) });
    const content = await fetch(`${world.server.url}/api/v1/files/${spoken.fileId}/content`, {
      headers: { authorization: `Bearer ${user.token}` },
    });
    expect(content.status).toBe(200);
    expect(parseWav(new Uint8Array(await content.arrayBuffer())).durationMs).toBe(demoMs(input));
    await settle();
    expect(before - (await balanceNano(world.server, user.id))).toBe(ceilDiv(BigInt(characters(input)) * PER_1K_CHARACTERS_NANO, 1_000n));
  });
});
