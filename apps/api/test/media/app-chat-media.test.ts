import { nanoToAmount } from '@maas/api/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  balanceNano,
  createApp,
  expectError,
  readEvents,
  settled,
  signUp,
  signUpAs,
  startTestServer,
  apiClient,
  type ApiClient,
  type TestServer,
} from '../kit/index.js';
import { decodePng } from '../kit/png.js';

// Issue 14 part 4: an application on an image model answers its chat with the generated image as an
// attachment (file id, URL, MIME type) and a text saying what was made, as JSON and as SSE; billed
// per image; the conversation keeps the attachment; the file is the caller's alone.

let server: TestServer;
let api: ApiClient;

/** demo-image-sketch's seeded price of an image at its default size (1024x1024, default quality). */
const PER_IMAGE_NANO = 10_000_000n;

interface Attachment {
  file_id: string;
  url: string;
  content_type: string;
}

async function imageApp(token: string) {
  const models = await api.get('/api/v1/models?limit=100', token);
  const sketch = (models.body.data as { id: string; name: string }[]).find((m) => m.name === 'demo-image-sketch')!;
  return createApp(api, token, sketch.id, { system_prompt: 'watercolour' });
}

async function fetchAttachment(attachment: Attachment, token: string) {
  const { pathname } = new URL(attachment.url);
  expect(pathname).toBe(`/api/v1/files/${attachment.file_id}/content`);
  return fetch(`${server.url}${pathname}`, { headers: { authorization: `Bearer ${token}` } });
}

beforeAll(async () => {
  server = await startTestServer({ MAAS_SEED_DEMO: '1' });
  api = apiClient(server.url);
});
afterAll(async () => {
  await server?.close();
});

describe('application chat on an image model', () => {
  it('answers JSON with the image as an attachment and a text saying what was made, billed per image', async () => {
    const user = await signUp(api);
    const app = await imageApp(user.token);
    const before = await balanceNano(server, user.id);
    const res = await api.post(`/api/v1/applications/${app.id}/chat`, { message: 'a lighthouse at dusk' }, user.token, {
      'accept-language': 'en',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^resp_/),
      conversation_id: expect.stringMatching(/^conv_/),
      tokens_used: { input: 0, output: 0 },
      cost: 0.01,
    });
    expect(res.body.message).toContain('1024x1024');
    expect(res.body.message).toContain('a lighthouse at dusk');
    const attachments = res.body.attachments as Attachment[];
    expect(attachments).toEqual([{ file_id: expect.stringMatching(/^file_/), url: expect.any(String), content_type: 'image/png' }]);
    const image = await fetchAttachment(attachments[0]!, user.token);
    expect(image.status).toBe(200);
    const png = decodePng(new Uint8Array(await image.arrayBuffer()));
    expect([png.width, png.height]).toEqual([1024, 1024]);

    await settled(server);
    await server.server.platform.leases?.drain();
    expect(before - (await balanceNano(server, user.id))).toBe(PER_IMAGE_NANO);
    const usage = await api.get(`/api/v1/usage?app_id=${app.id}`, user.token);
    expect(usage.body.data).toEqual([
      expect.objectContaining({
        app_id: app.id,
        conversation_id: res.body.conversation_id,
        units: { unit: 'image', quantity: 1, unit_price: 0.01 },
      }),
    ]);

    // Another user cannot read the image.
    const stranger = await signUp(api);
    expect((await fetchAttachment(attachments[0]!, stranger.token)).status).toBe(404);
  });

  it('streams one delta with the text and a done event with the attachments; the conversation keeps them', async () => {
    const user = await signUp(api);
    const app = await imageApp(user.token);
    const first = await api.post(`/api/v1/applications/${app.id}/chat`, { message: 'a red boat' }, user.token);
    expect(first.status).toBe(200);
    const response = await fetch(`${server.url}/api/v1/applications/${app.id}/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json', 'accept-language': 'en' },
      body: JSON.stringify({ message: 'a green boat', conversation_id: first.body.conversation_id, stream: true }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = (await readEvents(response)) as { type: string; content?: string; message?: string; attachments?: Attachment[] }[];
    expect(events.map((e) => e.type)).toEqual(['delta', 'done']);
    expect(events[0]!.content).toBe(events[1]!.message);
    expect(events[1]!.message).toContain('a green boat');
    expect(events[1]!.attachments).toEqual([expect.objectContaining({ content_type: 'image/png' })]);
    expect((await fetchAttachment(events[1]!.attachments![0]!, user.token)).status).toBe(200);

    const messages = await api.get(`/api/v1/conversations/${first.body.conversation_id}/messages`, user.token);
    expect(messages.status).toBe(200);
    const turns = messages.body.data as { role: string; content: string; attachments?: Attachment[] }[];
    expect(turns.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    expect(turns[0]).not.toHaveProperty('attachments');
    expect(turns[1]!.attachments).toEqual(first.body.attachments);
    expect(turns[3]!.attachments).toEqual(events[1]!.attachments);
    expect(turns[3]!.content).toBe(events[1]!.message);
  });

  it('refuses a caller who cannot pay the image with a 402 and writes no conversation', async () => {
    const user = await signUp(api);
    const app = await imageApp(user.token);
    const wallet = await balanceNano(server, user.id);
    const admin = await signUpAs(server, api, 'admin');
    const debit = await api.post(
      `/api/v1/admin/users/${user.id}/wallet/debit`,
      { amount: nanoToAmount(wallet - PER_IMAGE_NANO + 1n), reason: 'drain' },
      admin.token,
    );
    expect(debit.status).toBe(201);
    const res = await api.post(`/api/v1/applications/${app.id}/chat`, { message: 'too dear' }, user.token);
    expectError(res, 402, 'PAYMENT_REQUIRED');
    expect((await api.get('/api/v1/conversations', user.token)).body.data).toEqual([]);
    expect((await api.get('/api/v1/files', user.token)).body.data).toEqual([]);
  });
});

describe('application chat on a speech model', () => {
  it('reads the message aloud as a WAV attachment, billed per 1 000 characters, and the conversation keeps it', async () => {
    const user = await signUp(api);
    const models = await api.get('/api/v1/models?limit=100', user.token);
    const voice = (models.body.data as { id: string; name: string }[]).find((m) => m.name === 'demo-voice')!;
    const detail = await api.get(`/api/v1/models/${voice.id}`);
    const app = await createApp(api, user.token, voice.id, { system_prompt: 'not read aloud' });
    const message = 'Good evening, this is the demo voice.';
    const before = await balanceNano(server, user.id);
    const res = await api.post(`/api/v1/applications/${app.id}/chat`, { message }, user.token, { 'accept-language': 'en' });
    expect(res.status).toBe(200);
    expect(res.body.message).toContain(`${message.length} characters`);
    const attachments = res.body.attachments as Attachment[];
    expect(attachments).toEqual([{ file_id: expect.stringMatching(/^file_/), url: expect.any(String), content_type: 'audio/wav' }]);
    const audio = await fetchAttachment(attachments[0]!, user.token);
    const wav = new Uint8Array(await audio.arrayBuffer());
    expect(Buffer.from(wav.subarray(8, 12)).toString('latin1')).toBe('WAVE');

    // The demo transcription decodes the demo voice's tones: the message itself was spoken, not the system prompt.
    const key = (await api.post('/api/v1/api-keys', { name: 'listen' }, user.token)).body.key as string;
    const form = new FormData();
    form.append('model', 'demo-voice');
    form.append('file', new Blob([wav], { type: 'audio/wav' }), 'reply.wav');
    const heard = await fetch(`${server.url}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      body: form,
    });
    expect(((await heard.json()) as { text: string }).text).toBe(message);

    await settled(server);
    await server.server.platform.leases?.drain();
    const perThousandNano = BigInt(Math.round(detail.body.pricing.per_1k_characters * 1e9));
    const speechCost = (BigInt(message.length) * perThousandNano + 999n) / 1000n;
    const usage = await api.get(`/api/v1/usage?app_id=${app.id}`, user.token);
    expect(usage.body.data).toHaveLength(1);
    expect(usage.body.data[0]).toMatchObject({ units: { unit: '1k_characters', quantity: message.length / 1000 } });
    expect(BigInt(Math.round(usage.body.data[0].cost * 1e9))).toBe(speechCost);
    const transcription = await api.get('/api/v1/usage?limit=100', user.token);
    const transcriptionCost = (transcription.body.data as { app_id: string | null; cost: number }[])
      .filter((record) => record.app_id === null)
      .reduce((sum, record) => sum + BigInt(Math.round(record.cost * 1e9)), 0n);
    expect(before - (await balanceNano(server, user.id))).toBe(speechCost + transcriptionCost);

    const turns = (await api.get(`/api/v1/conversations/${res.body.conversation_id}/messages`, user.token)).body.data as {
      attachments?: Attachment[];
    }[];
    expect(turns[1]!.attachments).toEqual(attachments);
  });
});

describe('application chat on a video model', () => {
  it('answers with a clip made from the message as an attachment, billed per second delivered, kept by the conversation', async () => {
    const user = await signUp(api);
    const models = await api.get('/api/v1/models?limit=100', user.token);
    const video = (models.body.data as { id: string; name: string }[]).find((m) => m.name === 'demo-video')!;
    const perSecond = (await api.get(`/api/v1/models/${video.id}`)).body.pricing.per_second as number;
    const app = await createApp(api, user.token, video.id, {});
    const before = await balanceNano(server, user.id);
    const res = await api.post(`/api/v1/applications/${app.id}/chat`, { message: 'a paper boat in the rain' }, user.token, {
      'accept-language': 'en',
    });
    expect(res.status).toBe(200);
    expect(res.body.message).toMatch(/^Made a 4\.0 s video of \d+x\d+/);
    const attachments = res.body.attachments as Attachment[];
    expect(attachments).toEqual([{ file_id: expect.stringMatching(/^file_/), url: expect.any(String), content_type: 'video/x-msvideo' }]);
    const clip = Buffer.from(await (await fetchAttachment(attachments[0]!, user.token)).arrayBuffer());
    expect([clip.subarray(0, 4).toString('latin1'), clip.subarray(8, 12).toString('latin1')]).toEqual(['RIFF', 'AVI ']);

    await settled(server);
    await server.server.platform.leases?.drain();
    const usage = await api.get(`/api/v1/usage?app_id=${app.id}`, user.token);
    expect(usage.body.data[0]).toMatchObject({ units: { unit: 'second', quantity: 4, unit_price: perSecond } });
    expect(before - (await balanceNano(server, user.id))).toBe(4n * BigInt(Math.round(perSecond * 1e9)));
    const turns = (await api.get(`/api/v1/conversations/${res.body.conversation_id}/messages`, user.token)).body.data as {
      attachments?: Attachment[];
    }[];
    expect(turns[1]!.attachments).toEqual(attachments);
  }, 90_000);
});
