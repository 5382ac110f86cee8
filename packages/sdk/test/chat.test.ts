import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, signUp, startTestServer, type TestServer } from '../../../apps/api/test/kit/index.js';
import { type ChatStreamEvent, createMaasClient } from '../src/index.js';

let server: TestServer;

beforeAll(async () => {
  // The demo catalogue routes `demo-chat` to the built-in demo-echo provider: no network needed.
  server = await startTestServer({ MAAS_SEED_DEMO: '1' });
});
afterAll(() => server?.close());

describe('streamChat', () => {
  it('yields deltas and a final done event that continue one conversation', async () => {
    const user = await signUp(apiClient(server.url), 'sdkchat');
    const client = createMaasClient({ baseUrl: server.url, token: user.token });
    const models = await client.models.list.query({ search: 'demo-chat' });
    const model = models.data.find((m) => m.name === 'demo-chat');
    expect(model).toBeDefined();
    const app = await client.applications.create.mutate({
      name: 'sdk app',
      description: 'streams',
      model_id: model!.id,
      config: { max_tokens: 64 },
    });

    const events: ChatStreamEvent[] = [];
    for await (const event of client.streamChat({ app_id: app.id, message: 'hello from the sdk' })) events.push(event);
    const done = events.at(-1);
    expect(done?.type).toBe('done');
    const text = events.map((e) => (e.type === 'delta' ? e.content : '')).join('');
    if (done?.type !== 'done') throw new Error('no done event');
    expect(text).toBe(done.message);
    expect(text).toContain('hello from the sdk');
    expect(done.tokens_used.output).toBeGreaterThan(0);
    expect(done.cost).toBeGreaterThan(0);

    const again: ChatStreamEvent[] = [];
    for await (const event of client.streamChat({ app_id: app.id, message: 'and again', conversation_id: done.conversation_id }))
      again.push(event);
    const second = again.at(-1);
    expect(second?.type === 'done' && second.conversation_id).toBe(done.conversation_id);
  });

  it('rejects with a MaasError before streaming when the app is not the caller’s', async () => {
    const user = await signUp(apiClient(server.url), 'sdkchat');
    const client = createMaasClient({ baseUrl: server.url, token: user.token });
    const consume = async () => {
      for await (const _event of client.streamChat({ app_id: 'app_doesnotexist', message: 'hi' })) {
        // no events expected
      }
    };
    await expect(consume()).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
  });
});
