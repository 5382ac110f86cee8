import type { AppRouter } from '@maas/api';
import { createTRPCClient, httpBatchStreamLink } from '@trpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nanoToAmount } from '@maas/api/testing';
import { type ChatMessage, mockReply, readEvents, settled } from '../kit/index.js';
import { appWithTools, insertTool, startToolLoopWorld, type ToolLoopWorld } from './world.js';

let world: ToolLoopWorld;
let weather: { id: string; exposed: string };
let clock: { id: string; exposed: string };
const PRICE = 1_500_000n; // 0.0015 per call
/** The server's log, as JSON lines at debug level. */
const log: string[] = [];

beforeAll(async () => {
  world = await startToolLoopWorld({ LOG_LEVEL: 'debug' }, { logStream: { write: (line) => void log.push(line) } });
  weather = await insertTool(world, 'weather', { pricePerCallNano: PRICE });
  clock = await insertTool(world, 'clock');
});
afterAll(async () => {
  await world?.server.close();
  await world?.upstream.close();
  await world?.tools.close();
});

function upstreamBodies(since: number) {
  return world.upstream.requests.slice(since).map((r) => r.body as { messages: ChatMessage[]; tools?: { function: { name: string } }[] });
}

async function toolCallRows(conversationId: string) {
  return world.server.server.platform.db.selectFrom('tool_calls').selectAll().where('conversation_id', '=', conversationId).execute();
}

describe('app chat with tools (JSON)', () => {
  it('runs a two-round loop: the model calls a tool, gets its result, answers; every step is stored', async () => {
    const { user, app } = await appWithTools(world, [weather.id]);
    const since = world.upstream.requests.length;
    const res = await world.api.post(
      `/api/v1/applications/${app.id}/chat`,
      { message: `Please use ${weather.exposed} for me` },
      user.token,
    );
    expect(res.status).toBe(200);

    const bodies = upstreamBodies(since);
    expect(bodies).toHaveLength(2);
    // Offered under the exposed name, with only the exposed schema.
    expect(bodies[0]!.tools?.map((t) => t.function.name)).toEqual([weather.exposed]);
    const second = bodies[1]!.messages;
    expect(second.at(-2)).toMatchObject({ role: 'assistant', tool_calls: [{ function: { name: weather.exposed } }] });
    expect(second.at(-1)).toMatchObject({ role: 'tool', content: 'lookup({"city":"demo"}) = ok' });
    expect(world.tools.requests.at(-1)!.body).toMatchObject({ function: 'lookup', arguments: { city: 'demo' } });

    const rows = await toolCallRows(res.body.conversation_id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ tool_id: weather.id, function_name: 'lookup', status: 'success', app_id: app.id });
    expect(res.body).toMatchObject({
      message: mockReply(second),
      finish_reason: 'stop',
      tool_calls: [{ tool_id: weather.id, function: 'lookup', arguments: '{"city":"demo"}', status: 'success', cost: nanoToAmount(PRICE) }],
    });
    expect(res.body.tool_calls[0].call_id).toBe(rows[0]!.call_id);
    const { model, tools } = res.body.cost_breakdown as { model: number; tools: number };
    expect(tools).toBe(nanoToAmount(PRICE));
    expect(model).toBeGreaterThan(0);
    expect(res.body.cost).toBeCloseTo(model + tools, 9);

    // The conversation keeps the user's message, the call, the result and the answer.
    const messages = await world.api.get(`/api/v1/conversations/${res.body.conversation_id}/messages`, user.token);
    expect(messages.body.data.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    expect(messages.body.data[1].tool_calls[0]).toMatchObject({ name: weather.exposed, arguments: '{"city":"demo"}' });
    expect(messages.body.data[2].tool_call_id).toBe(messages.body.data[1].tool_calls[0].id);
    expect(messages.body.data[3]).toMatchObject({ id: res.body.id, content: res.body.message });

    // The next message continues with the whole history, which the strict upstream accepts.
    const next = await world.api.post(
      `/api/v1/applications/${app.id}/chat`,
      { message: 'thanks', conversation_id: res.body.conversation_id },
      user.token,
    );
    expect(next.status).toBe(200);
    const continued = upstreamBodies(since).at(-1)!.messages;
    expect(continued.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'tool', 'assistant', 'user']);
    expect(next.body.tool_calls).toEqual([]);
  });

  it('bills the model rounds exactly: the wallet drops by the total cost, with free tools', async () => {
    const { user, app } = await appWithTools(world, [clock.id]);
    const db = world.server.server.platform.db;
    const balance = async () =>
      (await db.selectFrom('wallets').select('balance_nano').where('user_id', '=', user.id).executeTakeFirstOrThrow()).balance_nano;
    const before = await balance();
    const res = await world.api.post(`/api/v1/applications/${app.id}/chat`, { message: `what does ${clock.exposed} say` }, user.token);
    expect(res.status).toBe(200);
    expect(res.body.cost_breakdown.tools).toBe(0);
    await settled(world.server);
    expect(nanoToAmount(before - (await balance()))).toBe(res.body.cost);
  });

  it('runs parallel calls of one round together, and tells each result to the model', async () => {
    const { user, app } = await appWithTools(world, [weather.id, clock.id]);
    world.tools.tuning.delayMs = 300;
    const since = world.upstream.requests.length;
    const toolsBefore = world.tools.requests.length;
    const res = await world.api.post(
      `/api/v1/applications/${app.id}/chat`,
      { message: `${weather.exposed} and ${clock.exposed}` },
      user.token,
    );
    world.tools.tuning.delayMs = 0;
    expect(res.status).toBe(200);
    expect(res.body.tool_calls.map((c: { function: string }) => c.function)).toEqual(['lookup', 'now']);
    // In parallel: the second call reached the tool before the first one was answered.
    const [a, b] = world.tools.requests.slice(toolsBefore);
    expect(Math.max(a!.startedAt, b!.startedAt)).toBeLessThan(Math.min(a!.endedAt!, b!.endedAt!));
    const second = upstreamBodies(since)[1]!.messages;
    expect(second.slice(-2).map((m) => m.role)).toEqual(['tool', 'tool']);
    expect(res.body.cost_breakdown.tools).toBe(nanoToAmount(PRICE));
  });

  it('stops after MAAS_TOOL_MAX_ROUNDS rounds of calls and answers with finish_reason max_tool_rounds', async () => {
    const capped = await startToolLoopWorld({ MAAS_TOOL_MAX_ROUNDS: '2' });
    try {
      const tool = await insertTool(capped, 'weather', { pricePerCallNano: PRICE });
      const { user, app } = await appWithTools(capped, [tool.id]);
      const res = await capped.api.post(`/api/v1/applications/${app.id}/chat`, { message: `[loop] ${tool.exposed}` }, user.token);
      expect(res.status).toBe(200);
      expect(res.body.finish_reason).toBe('max_tool_rounds');
      // Two rounds of calls ran; the third model call's request for more was not run.
      expect(capped.upstream.requests).toHaveLength(3);
      expect(res.body.tool_calls).toHaveLength(2);
      expect(capped.tools.requests).toHaveLength(2);
      expect(res.body.cost_breakdown.tools).toBe(nanoToAmount(2n * PRICE));
      // No dangling call is stored: the conversation continues.
      const next = await capped.api.post(
        `/api/v1/applications/${app.id}/chat`,
        { message: 'ok', conversation_id: res.body.conversation_id },
        user.token,
      );
      expect(next.status).toBe(200);
    } finally {
      await capped.server.close();
      await capped.upstream.close();
      await capped.tools.close();
    }
  });

  it('never sends the installer secret config to the model, the client or the log', async () => {
    const secret = `sk-installer-${Math.random().toString(36).slice(2)}`;
    const { user, app } = await appWithTools(world, [weather.id], secret);
    const since = world.upstream.requests.length;
    const res = await world.api.post(`/api/v1/applications/${app.id}/chat`, { message: `${weather.exposed} please` }, user.token);
    expect(res.status).toBe(200);
    expect(res.body.tool_calls).toHaveLength(1);
    // The tool's own endpoint is where it goes (the installer's key for the author's service)…
    const delivered = world.tools.requests.at(-1)!;
    expect(delivered.text + JSON.stringify(delivered.headers)).toContain(secret);
    // …and never to the model.
    for (const request of world.upstream.requests.slice(since)) expect(request.text).not.toContain(secret);
    expect(JSON.stringify(res.body)).not.toContain(secret);
    const messages = await world.api.get(`/api/v1/conversations/${res.body.conversation_id}/messages`, user.token);
    expect(JSON.stringify(messages.body)).not.toContain(secret);
    // Also when the tool fails (a failure is where a runner would log what it sent).
    const failing = await insertTool(world, 'clock', { endpointUrl: `${world.tools.url.replace('/call', '')}/missing` });
    const other = await appWithTools(world, [failing.id], secret);
    const failed = await world.api.post(
      `/api/v1/applications/${other.app.id}/chat`,
      { message: `${failing.exposed} now` },
      other.user.token,
    );
    expect(failed.status).toBe(200);
    expect(failed.body.tool_calls[0].status).not.toBe('success');
    expect(log.length).toBeGreaterThan(0);
    expect(log.join('')).not.toContain(secret);
  });
});

describe('app chat with tools (SSE)', () => {
  it('streams tool_call, tool_result, the deltas, then done with the totals', async () => {
    const { user, app } = await appWithTools(world, [weather.id]);
    const response = await fetch(`${world.server.url}/api/v1/applications/${app.id}/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: `use ${weather.exposed}`, stream: true }),
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const events = (await readEvents(response)) as { type: string; [k: string]: unknown }[];
    const types = events.map((e) => e.type);
    const deltas = types.filter((t) => t === 'delta').length;
    expect(deltas).toBeGreaterThan(1);
    expect(types).toEqual(['tool_call', 'tool_result', ...Array<string>(deltas).fill('delta'), 'done']);
    expect(events[0]).toMatchObject({ tool_id: weather.id, function: 'lookup', arguments: '{"city":"demo"}' });
    expect(events[1]).toMatchObject({ call_id: events[0]!.call_id, status: 'success', cost: nanoToAmount(PRICE) });
    expect(typeof events[1]!.latency_ms).toBe('number');
    const done = events.at(-1)!;
    const text = events
      .filter((e) => e.type === 'delta')
      .map((e) => e.content)
      .join('');
    expect(done).toMatchObject({ message: text, finish_reason: 'stop', cost_breakdown: { tools: nanoToAmount(PRICE) } });
    const breakdown = done.cost_breakdown as { model: number; tools: number };
    expect(done.cost).toBeCloseTo(breakdown.model + breakdown.tools, 9);
    const messages = await world.api.get(`/api/v1/conversations/${done.conversation_id as string}/messages`, user.token);
    expect(messages.body.data.map((m: { role: string }) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
  });

  it('streams the same events over tRPC (chat.stream), as the dashboard reads them', async () => {
    const { user, app } = await appWithTools(world, [weather.id]);
    const client = createTRPCClient<AppRouter>({
      links: [httpBatchStreamLink({ url: `${world.server.url}/trpc`, headers: { authorization: `Bearer ${user.token}` }, maxItems: 1 })],
    });
    const events = await client.chat.stream.mutate({ app_id: app.id, message: `use ${weather.exposed}` });
    const types: string[] = [];
    for await (const event of events) types.push(event.type);
    expect(types[0]).toBe('tool_call');
    expect(types[1]).toBe('tool_result');
    expect(types.at(-1)).toBe('done');
  });

  it('stops the loop when the client goes away: no tool is called after it, and what ran is billed exactly', async () => {
    const { user, app } = await appWithTools(world, [weather.id, clock.id]);
    world.tools.tuning.delayMs = 400;
    const toolsBefore = world.tools.requests.length;
    const upstreamBefore = world.upstream.requests.length;
    const controller = new AbortController();
    const response = await fetch(`${world.server.url}/api/v1/applications/${app.id}/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: `[loop] ${weather.exposed}`, stream: true }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('"tool_call"');
    controller.abort();
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    world.tools.tuning.delayMs = 0;
    // The first round's call ran (it was under way); the loop made no further model call or tool call.
    expect(world.tools.requests.length - toolsBefore).toBeLessThanOrEqual(1);
    expect(world.upstream.requests.length - upstreamBefore).toBe(1);
    await settled(world.server);
    const conversation = await world.server.server.platform.db
      .selectFrom('conversations')
      .select('id')
      .where('app_id', '=', app.id)
      .executeTakeFirstOrThrow();
    const rows = await toolCallRows(conversation.id);
    const charged = rows.reduce((sum, r) => sum + r.cost_nano, 0n);
    expect(charged).toBe(BigInt(rows.filter((r) => r.status === 'success').length) * PRICE);
  });
});
