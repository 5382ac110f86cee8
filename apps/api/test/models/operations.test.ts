import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiClient,
  type ApiClient,
  createModel,
  expectError,
  settled,
  signUpAs,
  startTestServer,
  type TestServer,
  type TestUser,
  uniqueName,
} from '../kit/index.js';

// Issue 14 part 1: a model declares what it can be called for. The list is derived from the
// category unless set, shown in the catalogue, filterable, and enforced on every call: an image
// model is never answered by a chat echo.

let server: TestServer;
let api: ApiClient;
let admin: TestUser;
let dev: TestUser;
let user: TestUser;
let key: string;

beforeAll(async () => {
  server = await startTestServer({ MAAS_SEED_DEMO: '1' });
  api = apiClient(server.url);
  [admin, dev, user] = await Promise.all([
    signUpAs(server, api, 'admin'),
    signUpAs(server, api, 'developer'),
    signUpAs(server, api, 'user'),
  ]);
  const res = await api.post('/api/v1/api-keys', { name: 'operations' }, user.token);
  expect(res.status).toBe(201);
  key = res.body.key as string;
});
afterAll(async () => {
  await server?.close();
});

function openai() {
  return new OpenAI({ apiKey: key, baseURL: `${server.url}/v1`, maxRetries: 0 });
}

async function seededModel(name: string) {
  const list = await api.get(`/api/v1/models?search=${name}&limit=100`);
  const model = (list.body.data as { id: string; name: string }[]).find((m) => m.name === name);
  if (!model) throw new Error(`seeded model ${name} missing`);
  return (await api.get(`/api/v1/models/${model.id}`)).body as { id: string; name: string; operations: string[] };
}

describe('operations of a model', () => {
  it('derives them from the category when none are set, in the detail and in the list', async () => {
    const expected = {
      text: ['chat'],
      image: ['image_generation', 'image_edit'],
      audio: ['speech', 'transcription'],
      video: ['video_generation'],
    } as const;
    for (const [category, operations] of Object.entries(expected)) {
      const model = await createModel(api, dev.token, { category });
      expect(model.operations).toEqual(operations);
      expect((await api.get(`/api/v1/models/${model.id}`)).body.operations).toEqual(operations);
      const listed = await api.get(`/api/v1/models?search=${model.name}`);
      expect(listed.body.data).toEqual([expect.objectContaining({ id: model.id, operations })]);
    }
  });

  it('takes an explicit list on create, keeps it across a category change, and null goes back to the default', async () => {
    const model = await createModel(api, dev.token, { category: 'text', operations: ['embeddings', 'chat'] });
    // Stored without duplicates in the canonical order.
    expect(model.operations).toEqual(['chat', 'embeddings']);
    const patched = await api.patch(`/api/v1/models/${model.id}`, { category: 'image' }, dev.token);
    expect(patched.status).toBe(200);
    expect(patched.body.operations).toEqual(['chat', 'embeddings']);
    const narrowed = await api.patch(`/api/v1/models/${model.id}`, { operations: ['embeddings'] }, dev.token);
    expect(narrowed.body.operations).toEqual(['embeddings']);
    const reset = await api.patch(`/api/v1/models/${model.id}`, { operations: null }, dev.token);
    expect(reset.body.operations).toEqual(['image_generation', 'image_edit']);
  });

  it('refuses an unknown operation, an empty list and a repeated one with 400', async () => {
    for (const operations of [['teleport'], [], ['chat', 'chat']]) {
      const res = await api.post('/api/v1/models', { name: uniqueName('bad-ops'), category: 'text', operations }, dev.token);
      expectError(res, 400, 'INVALID_REQUEST');
    }
    expectError(await api.get('/api/v1/models?operation=teleport'), 400, 'INVALID_REQUEST');
  });

  it('filters the list by operation, explicit or derived', async () => {
    const tag = uniqueName('opsfilter');
    const chat = await createModel(api, dev.token, { description: tag, category: 'text' });
    const embed = await createModel(api, dev.token, { description: tag, category: 'text', operations: ['embeddings'] });
    const image = await createModel(api, dev.token, { description: tag, category: 'image' });
    const both = await createModel(api, dev.token, { description: tag, category: 'audio', operations: ['speech', 'chat'] });
    const ids = async (operation: string) =>
      ((await api.get(`/api/v1/models?search=${tag}&operation=${operation}&sort=name&limit=100`)).body.data as { id: string }[])
        .map((m) => m.id)
        .sort();
    expect(await ids('chat')).toEqual([chat.id, both.id].sort());
    expect(await ids('embeddings')).toEqual([embed.id]);
    expect(await ids('image_edit')).toEqual([image.id]);
    expect(await ids('speech')).toEqual([both.id]);
    expect(await ids('transcription')).toEqual([]);
    // Combined with the category filter.
    const textEmbeddings = await api.get(`/api/v1/models?search=${tag}&operation=embeddings&category=text`);
    expect(textEmbeddings.body.pagination.total).toBe(1);
  });

  it('seeds the demo models with their operations, demo-embed among them, and lists them all on GET /v1/models', async () => {
    expect((await seededModel('demo-chat')).operations).toEqual(['chat']);
    expect((await seededModel('demo-embed')).operations).toEqual(['embeddings']);
    expect((await seededModel('demo-image-sketch')).operations).toEqual(['image_generation', 'image_edit']);
    expect((await seededModel('demo-voice')).operations).toEqual(['speech', 'transcription']);
    const listed = await openai().models.list();
    const byName = Object.fromEntries(listed.data.map((m) => [m.id, m as unknown as { operations: string[] }]));
    expect(byName['demo-embed']?.operations).toEqual(['embeddings']);
    expect(byName['demo-image-sketch']?.operations).toEqual(['image_generation', 'image_edit']);
    expect(byName['demo-chat']?.operations).toEqual(['chat']);
  });
});

describe('calling an operation the model lacks', () => {
  it('answers /v1/chat/completions on an image, audio or embeddings model with a 400 naming the model and the operation, and charges nothing', async () => {
    const before = await api.get('/api/v1/wallet', user.token);
    expect(before.status).toBe(200);
    for (const name of ['demo-image-sketch', 'demo-voice', 'demo-embed']) {
      const error = await openai()
        .chat.completions.create({ model: name, messages: [{ role: 'user', content: 'draw a cat' }] })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      const bad = error as InstanceType<typeof OpenAI.BadRequestError>;
      expect(bad.status).toBe(400);
      expect(bad.message).toContain(name);
      expect(bad.message).toContain('chat');
      // Also streaming: refused before any byte, not with a text echo.
      const streamed = await openai()
        .chat.completions.create({ model: name, messages: [{ role: 'user', content: 'draw a cat' }], stream: true })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(streamed).toBeInstanceOf(OpenAI.BadRequestError);
    }
    await settled(server);
    const after = await api.get('/api/v1/wallet', user.token);
    expect(after.body.balance).toBe(before.body.balance);
  });

  it('still answers chat on a text model', async () => {
    const completion = await openai().chat.completions.create({ model: 'demo-chat', messages: [{ role: 'user', content: 'hello' }] });
    expect(completion.choices[0]!.message.content).toContain('hello');
  });

  // An application on an image model answers with images (test/media/app-chat-media.test.ts); one on
  // a model that neither chats nor makes media is refused as before.
  it('refuses an application chat on an embeddings model with the same 400 (no text echo)', async () => {
    const embed = await seededModel('demo-embed');
    const app = await api.post('/api/v1/applications', { name: 'vectors', description: 'd', model_id: embed.id, config: {} }, admin.token);
    expect(app.status).toBe(201);
    const chat = await api.post(`/api/v1/applications/${app.body.id}/chat`, { message: 'draw a cat' }, admin.token);
    const error = expectError(chat, 400, 'INVALID_REQUEST');
    expect(error.message).toContain('demo-embed');
    expect(error.details).toMatchObject({ model: 'demo-embed', operation: 'chat' });
  });
});
