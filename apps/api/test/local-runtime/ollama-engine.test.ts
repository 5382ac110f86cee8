// Issue 15 part 4: a model file deployed on an external engine. An admin points a self-served
// model at an `ollama` provider: the platform pushes the file (blob, then create) and routes its
// calls to Ollama's OpenAI-compatible endpoint. Against a fake Ollama server (fake-ollama.ts).
import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiClient,
  createFileModel,
  signUpAs,
  startTestServer,
  type TestServer,
  type TestUser,
  tinyModelBytes,
  uploadModelFile,
  waitForDeployment,
} from '../kit/index.js';
import { type FakeOllama, startFakeOllama } from './fake-ollama.js';

let server: TestServer;
let ollama: FakeOllama;
let api: ReturnType<typeof apiClient>;
let admin: TestUser;
let developer: TestUser;
let providerId: string;

beforeAll(async () => {
  ollama = await startFakeOllama();
  server = await startTestServer();
  api = apiClient(server.url);
  admin = await signUpAs(server, api, 'admin');
  developer = await signUpAs(server, api, 'developer');
  const provider = await api.post(
    '/api/v1/providers',
    { name: 'ollama-engine', kind: 'ollama', base_url: ollama.url, timeout_ms: 5_000 },
    admin.token,
  );
  expect(provider.status).toBe(201);
  providerId = provider.body.id;
}, 60_000);
afterAll(async () => {
  await server?.close();
  await ollama?.close();
});

describe('a self-served model on an ollama engine', () => {
  it('is pushed to the engine by an admin and answers from it on /v1, streaming too', async () => {
    const file = await uploadModelFile(server.url, developer.token);
    const model = await createFileModel(api, developer.token, file.body.id);
    await waitForDeployment(api, developer.token, model.id);

    // Only an admin may spend an engine's capacity.
    const refused = await api.post(`/api/v1/models/${model.id}/deploy`, { runtime: providerId }, developer.token);
    expect(refused.status).toBe(403);

    const deploy = await api.post(`/api/v1/models/${model.id}/deploy`, { runtime: providerId }, admin.token);
    expect(deploy.status).toBe(200);
    expect(deploy.body).toMatchObject({ runtime: providerId, state: 'deploying' });
    const detail = await waitForDeployment(api, developer.token, model.id);
    expect(detail.deployment).toMatchObject({ runtime: providerId, state: 'active', error: null });

    const digest = createHash('sha256').update(tinyModelBytes()).digest('hex');
    expect(ollama.blobs.get(digest)).toBe(tinyModelBytes().length);
    expect(ollama.models.get(`maas-${model.id}`)).toEqual({ files: { 'tiny.gguf': `sha256:${digest}` }, parameters: { num_ctx: 512 } });
    // Off the local runtime: it serves elsewhere now.
    expect(server.server.platform.inference.local.loadedModels).not.toContain(model.id);

    const openai = new OpenAI({ apiKey: developer.token, baseURL: `${server.url}/v1`, maxRetries: 0 });
    const answer = await openai.chat.completions.create({ model: model.name, messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.choices[0]!.message.content).toBe('ollama says hi');
    expect(answer.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 3 });
    const stream = await openai.chat.completions.create({ model: model.name, messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('ollama says hi');

    expect((await api.delete(`/api/v1/models/${model.id}`, developer.token)).status).toBe(200);
    expect(ollama.deleted).toContain(`maas-${model.id}`);
  });

  it('fails the deployment with the engine reason when the engine refuses the file', async () => {
    const file = await uploadModelFile(server.url, developer.token);
    const model = await createFileModel(api, developer.token, file.body.id);
    await waitForDeployment(api, developer.token, model.id);
    const broken = await api.post(
      '/api/v1/providers',
      { name: 'ollama-broken', kind: 'ollama', base_url: `${ollama.url}/nowhere`, timeout_ms: 5_000 },
      admin.token,
    );
    await api.post(`/api/v1/models/${model.id}/deploy`, { runtime: broken.body.id }, admin.token);
    const detail = await waitForDeployment(api, developer.token, model.id);
    expect(detail.deployment.state).toBe('failed');
    expect(detail.deployment.error).toMatch(/ollama blob upload answered 404/);
    const call = await api.post(
      '/v1/chat/completions',
      { model: model.name, messages: [{ role: 'user', content: 'hi' }] },
      developer.token,
    );
    expect(call.status).toBe(503);
  });

  it('refuses a runtime that is not an engine', async () => {
    const file = await uploadModelFile(server.url, developer.token);
    const model = await createFileModel(api, developer.token, file.body.id);
    const res = await api.post(`/api/v1/models/${model.id}/deploy`, { runtime: 'prov_doesnotexist000000000000' }, admin.token);
    expect(res.status).toBe(400);
    expect(res.body.error.details.field).toBe('runtime');
  });
});
