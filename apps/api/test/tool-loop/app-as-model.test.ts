import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatMessage, mockReply, settled, signUp } from '../kit/index.js';
import { appWithTools, insertTool, startToolLoopWorld, type ToolLoopWorld } from './world.js';

// `model: "app_<id>"` (issue 16 part 4): an application answers any OpenAI or Anthropic client, with
// its system prompt applied and its tools run server-side by the same loop as app chat.

let world: ToolLoopWorld;
let weather: { id: string; exposed: string };
const PRICE = 2_000_000n;

beforeAll(async () => {
  world = await startToolLoopWorld();
  weather = await insertTool(world, 'weather', { pricePerCallNano: PRICE });
});
afterAll(async () => {
  await world?.server.close();
  await world?.upstream.close();
  await world?.tools.close();
});

async function apiKeyFor(token: string) {
  const res = await world.api.post('/api/v1/api-keys', { name: 'app-as-model' }, token);
  expect(res.status).toBe(201);
  return res.body.key as string;
}

function openai(apiKey: string) {
  return new OpenAI({ apiKey, baseURL: `${world.server.url}/v1`, maxRetries: 0 });
}

async function balance(userId: string) {
  const wallet = await world.server.server.platform.db
    .selectFrom('wallets')
    .select('balance_nano')
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return wallet.balance_nano;
}

describe('model: "app_<id>"', () => {
  it('answers chat.completions.create with the app system prompt and its tools run server-side', async () => {
    const { user, app } = await appWithTools(world, [weather.id]);
    const client = openai(await apiKeyFor(user.token));
    const since = world.upstream.requests.length;
    const toolsBefore = world.tools.requests.length;
    const before = await balance(user.id);

    const completion = await client.chat.completions.create({
      model: app.id,
      messages: [{ role: 'user', content: `check ${weather.exposed}` }],
    });

    const bodies = world.upstream.requests.slice(since).map((r) => r.body as { messages: ChatMessage[] });
    expect(bodies).toHaveLength(2);
    expect(bodies[0]!.messages[0]).toEqual({ role: 'system', content: 'Use tools.' });
    expect(world.tools.requests.length - toolsBefore).toBe(1);
    expect(completion.model).toBe(app.id);
    expect(completion.choices[0]!.message.content).toBe(mockReply(bodies[1]!.messages));
    expect(completion.choices[0]!.message.tool_calls ?? []).toEqual([]);
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.usage!.prompt_tokens).toBeGreaterThan(0);

    const rows = await world.server.server.platform.db.selectFrom('tool_calls').selectAll().where('app_id', '=', app.id).execute();
    expect(rows).toMatchObject([{ tool_id: weather.id, status: 'success', cost_nano: PRICE, via: 'app' }]);
    await settled(world.server);
    // The wallet pays the model rounds, and at most the tool's price on top.
    expect(before - (await balance(user.id))).toBeGreaterThan(0n);
  });

  it('streams the answer to an OpenAI client', async () => {
    const { user, app } = await appWithTools(world, [weather.id]);
    const stream = await openai(await apiKeyFor(user.token)).chat.completions.create({
      model: app.id,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: `${weather.exposed} now` }],
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      usage ??= chunk.usage;
    }
    expect(text).toContain('Tool said: lookup({"city":"demo"}) = ok');
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('answers an Anthropic client on /v1/messages and the Responses API', async () => {
    const { user, app } = await appWithTools(world, [weather.id]);
    const key = await apiKeyFor(user.token);
    const anthropic = new Anthropic({ apiKey: key, baseURL: world.server.url, maxRetries: 0 });
    const message = await anthropic.messages.create({
      model: app.id,
      max_tokens: 100,
      messages: [{ role: 'user', content: `${weather.exposed} please` }],
    });
    expect(message.model).toBe(app.id);
    expect(message.content).toMatchObject([{ type: 'text', text: expect.stringContaining('Tool said: lookup') }]);

    const response = await openai(key).responses.create({ model: app.id, input: `${weather.exposed} again` });
    expect(response.output_text).toContain('Tool said: lookup');
  });

  it('is refused (404) to a user who does not own the app, and for an app that does not exist', async () => {
    const { app } = await appWithTools(world, [weather.id]);
    const stranger = await signUp(world.api);
    const client = openai(await apiKeyFor(stranger.token));
    await expect(client.chat.completions.create({ model: app.id, messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({
      status: 404,
    });
    await expect(
      client.chat.completions.create({ model: 'app_doesnotexist', messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toMatchObject({
      status: 404,
    });
  });

  it('refuses client tools on an app that runs its own', async () => {
    const { user, app } = await appWithTools(world, [weather.id]);
    const client = openai(await apiKeyFor(user.token));
    await expect(
      client.chat.completions.create({
        model: app.id,
        messages: [{ role: 'user', content: 'hi' }],
        tools: [{ type: 'function', function: { name: 'mine', parameters: { type: 'object', properties: {} } } }],
      }),
    ).rejects.toMatchObject({ status: 400 });
  });
});
