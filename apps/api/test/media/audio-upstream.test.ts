import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceNano, type ChatWorld, createMockProvider, createRoutedModel, settled, signUp, startChatWorld } from '../kit/index.js';
import { MOCK_SPEECH_MS_PER_CHARACTER, startAudioUpstream } from '../kit/mock-audio-upstream.js';
import { parseWav, toneWav } from '../kit/wav.js';

// Issue 14: speech and transcription on an OpenAI-compatible upstream (a strict mock of OpenAI's
// audio API): JSON speech whose bytes are streamed back and billed per second of the audio measured
// from them; multipart transcription asked for as verbose_json and billed per minute of the duration
// the upstream reports; a failed call costs nothing.

let world: ChatWorld;
let upstream: Awaited<ReturnType<typeof startAudioUpstream>>;
let providerId: string;

const PER_SECOND_NANO = 2_000_000n;
const PER_MINUTE_NANO = 9_000_000n;
const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;

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

async function usageRows(userId: string) {
  return world.server.server.platform.db
    .selectFrom('usage_records')
    .select(['cost_nano', 'status', 'units'])
    .where('user_id', '=', userId)
    .execute();
}

/** An audio model routed to the mock upstream under `upstreamModel`. */
function audioModel(upstreamModel: string, operation: 'speech' | 'transcription') {
  return createRoutedModel(world, [{ provider_id: providerId, upstream_model: upstreamModel }], {
    category: 'audio',
    operations: [operation],
    pricing: { input_tokens: 0, output_tokens: 0, per_second: 0.002, per_minute: 0.009 },
  });
}

beforeAll(async () => {
  world = await startChatWorld();
  upstream = await startAudioUpstream();
  providerId = (await createMockProvider(world, { base_url: upstream.url, api_key: upstream.apiKey })).id;
});
afterAll(async () => {
  await world?.server.close();
  await world?.upstream.close();
  await upstream?.close();
});

describe('POST /v1/audio/speech on an OpenAI-compatible upstream', () => {
  it('sends OpenAI JSON, streams the bytes back unchanged and bills the seconds measured from them', async () => {
    const model = await audioModel('tts-ok', 'speech');
    const { user, client } = await newCaller();
    const before = await balanceNano(world.server, user.id);
    const input = 'Upstream speech, billed by the second.';
    const res = await client.audio.speech.create({
      model: model.name,
      voice: 'coral',
      input,
      response_format: 'wav',
      speed: 1.25,
      instructions: 'Calm.',
    });
    expect(res.headers.get('content-type')).toBe('audio/wav');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(Buffer.from(bytes).equals(toneWav((input.length * MOCK_SPEECH_MS_PER_CHARACTER) / 1.25, 24_000))).toBe(true);
    const wav = parseWav(bytes);
    expect(wav.sampleRate).toBe(24_000);
    expect(wav.durationMs).toBeCloseTo((input.length * MOCK_SPEECH_MS_PER_CHARACTER) / 1.25, 0);

    expect(upstream.refusals).toEqual([]);
    const sent = upstream.requests.at(-1)!;
    expect(sent.path).toBe('/v1/audio/speech');
    expect(sent.headers.authorization).toBe(`Bearer ${upstream.apiKey}`);
    expect(sent.fields).toEqual({ model: 'tts-ok', input, voice: 'coral', response_format: 'wav', speed: 1.25, instructions: 'Calm.' });

    await settle();
    const cost = ceilDiv(BigInt(Math.ceil(wav.durationMs)) * PER_SECOND_NANO, 1_000n);
    expect(before - (await balanceNano(world.server, user.id))).toBe(cost);
    expect(await usageRows(user.id)).toEqual([
      {
        cost_nano: cost,
        status: 'success',
        units: { unit: 'second', quantity: Math.ceil(wav.durationMs) / 1000, unit_price_nano: '2000000' },
      },
    ]);
  });

  it('measures raw PCM too (24 kHz, 16-bit mono)', async () => {
    const model = await audioModel('tts-ok', 'speech');
    const { user, client } = await newCaller();
    const res = await client.audio.speech.create({ model: model.name, voice: 'alloy', input: 'pcm', response_format: 'pcm' });
    expect(res.headers.get('content-type')).toBe('audio/pcm');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(bytes.length).toBe(3 * MOCK_SPEECH_MS_PER_CHARACTER * 48);
    await settle();
    expect((await usageRows(user.id))[0]!.cost_nano).toBe(ceilDiv(150n * PER_SECOND_NANO, 1_000n));
  });

  it('charges nothing when the upstream fails or answers something that is not audio', async () => {
    const { user, client } = await newCaller();
    const before = await balanceNano(world.server, user.id);
    for (const upstreamModel of ['tts-500', 'tts-garbage']) {
      const model = await audioModel(upstreamModel, 'speech');
      const error = await rejection(
        client.audio.speech.create({ model: model.name, voice: 'alloy', input: 'boom', response_format: 'wav' }),
      );
      expect(error.status, upstreamModel).toBe(502);
    }
    await settle();
    expect(await balanceNano(world.server, user.id)).toBe(before);
    expect((await usageRows(user.id)).map((r) => [r.status, r.cost_nano])).toEqual([
      ['failed', 0n],
      ['failed', 0n],
    ]);
  });
});

describe('POST /v1/audio/transcriptions on an OpenAI-compatible upstream', () => {
  it('sends the file as multipart asking for verbose_json, answers the format asked for and bills the minutes reported', async () => {
    const model = await audioModel('stt-ok', 'transcription');
    const { user, client } = await newCaller();
    const before = await balanceNano(world.server, user.id);
    const audio = toneWav(95_000);
    const srt = await client.audio.transcriptions.create({
      model: model.name,
      file: await toFile(audio, 'meeting.wav', { type: 'audio/wav' }),
      response_format: 'srt',
      language: 'de',
      temperature: 0.2,
      prompt: 'A meeting.',
    });
    expect(String(srt)).toBe(
      `1\n00:00:00,000 --> 00:00:47,500\nmock transcript\n\n2\n00:00:47,500 --> 00:01:35,000\nof ${audio.length} bytes\n\n`,
    );
    expect(upstream.refusals).toEqual([]);
    const sent = upstream.requests.at(-1)!;
    expect(sent.path).toBe('/v1/audio/transcriptions');
    expect(sent.fields).toEqual({
      model: 'stt-ok',
      response_format: 'verbose_json',
      language: 'de',
      prompt: 'A meeting.',
      temperature: '0.2',
    });
    expect(sent.files).toEqual([{ field: 'file', type: 'audio/wav', bytes: audio.length, filename: 'meeting.wav' }]);

    const verbose = await client.audio.transcriptions.create({
      model: model.name,
      file: await toFile(audio, 'meeting.wav'),
      response_format: 'verbose_json',
    });
    expect(verbose).toMatchObject({ text: `mock transcript of ${audio.length} bytes`, duration: 95, language: 'english' });

    await settle();
    const each = ceilDiv(95_000n * PER_MINUTE_NANO, 60_000n);
    expect(before - (await balanceNano(world.server, user.id))).toBe(2n * each);
    expect((await usageRows(user.id)).map((r) => r.units)).toEqual([
      { unit: 'minute', quantity: Math.round((95_000 / 60_000) * 1e6) / 1e6, unit_price_nano: '9000000' },
      { unit: 'minute', quantity: Math.round((95_000 / 60_000) * 1e6) / 1e6, unit_price_nano: '9000000' },
    ]);
  });

  it('charges nothing when the upstream fails', async () => {
    const model = await audioModel('stt-500', 'transcription');
    const { user, client } = await newCaller();
    const before = await balanceNano(world.server, user.id);
    const error = await rejection(client.audio.transcriptions.create({ model: model.name, file: await toFile(toneWav(1_000), 'a.wav') }));
    expect(error.status).toBe(502);
    await settle();
    expect(await balanceNano(world.server, user.id)).toBe(before);
    expect((await usageRows(user.id)).map((r) => [r.status, r.cost_nano])).toEqual([['failed', 0n]]);
  });
});
