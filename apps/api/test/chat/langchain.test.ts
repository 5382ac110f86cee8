// Issue 13 part 7: LangChain's ChatOpenAI through /v1/chat/completions against the STRICT OpenAI mock
// (a tool result must answer an earlier tool call id): a bindTools round trip (invoke → AIMessage with
// tool_calls → ToolMessage → invoke → final answer), the same loop with .stream(), and the billing of
// every call.
import { type AIMessageChunk, type BaseMessage, HumanMessage, type ToolCall, ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { ChatOpenAI } from '@langchain/openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  balanceNano,
  type ChatWorld,
  createMockProvider,
  createRoutedModel,
  expectedCostNano,
  MOCK_REPLY_SUFFIX,
  settled,
  signUp,
  startChatWorld,
} from '../kit/index.js';

let world: ChatWorld;
let model: { id: string; name: string };

beforeAll(async () => {
  world = await startChatWorld();
  const provider = await createMockProvider(world);
  model = await createRoutedModel(world, [{ provider_id: provider.id, upstream_model: 'mock-ok' }]);
});

afterAll(async () => {
  await world?.server.close();
  await world?.upstream.close();
});

async function customer(): Promise<{ key: string; userId: string }> {
  const user = await signUp(world.api);
  const res = await world.api.post('/api/v1/api-keys', { name: 'langchain' }, user.token);
  expect(res.status).toBe(201);
  return { key: res.body.key as string, userId: user.id };
}

/** Bodies LangChain sent to the gateway, read off its own fetch (the request still goes over HTTP). */
let clientBodies: Record<string, unknown>[] = [];

const recordingFetch: typeof fetch = (input, init) => {
  if (typeof init?.body === 'string') clientBodies.push(JSON.parse(init.body) as Record<string, unknown>);
  return fetch(input, init);
};

function chatModel(key: string) {
  clientBodies = [];
  return new ChatOpenAI({
    model: model.name,
    apiKey: key,
    configuration: { baseURL: `${world.server.url}/v1`, fetch: recordingFetch },
    maxRetries: 0,
  });
}

const getWeather = tool(({ city }) => `It is 21 degrees in ${city}`, {
  name: 'get_weather',
  description: 'Current weather in a city',
  schema: z.object({ city: z.string() }),
});

/** Runs the tool on a call the way an agent does; LangChain answers a tool call with a ToolMessage carrying its id. */
async function runTool(call: ToolCall): Promise<ToolMessage> {
  const answer: unknown = await getWeather.invoke(call);
  if (!(answer instanceof ToolMessage)) throw new Error(`expected a ToolMessage, got ${JSON.stringify(answer)}`);
  expect(answer.tool_call_id).toBe(call.id);
  return answer;
}

const FINAL_ANSWER = `Tool said: It is 21 degrees in demo. ${MOCK_REPLY_SUFFIX}`;

/** The chat completions requests the upstream received since `from`. */
function upstreamChatBodies(from: number): Record<string, unknown>[] {
  return world.upstream.requests
    .slice(from)
    .filter((request) => request.url.endsWith('/chat/completions'))
    .map((request) => request.body!);
}

/**
 * The second upstream call carries the assistant's tool call and the ToolMessage answering its id, and
 * the gateway forwarded the rest of LangChain's body exactly as LangChain wrote it.
 */
function expectToolResultForwarded(bodies: Record<string, unknown>[], callId: string) {
  expect(bodies).toHaveLength(2);
  const messages = bodies[1]!.messages as Record<string, unknown>[];
  expect(messages.map((message) => message.role)).toEqual(['user', 'assistant', 'tool']);
  expect(messages[1]).toMatchObject({
    tool_calls: [{ id: callId, type: 'function', function: { name: 'get_weather', arguments: '{"city":"demo"}' } }],
  });
  expect(messages[2]).toMatchObject({ role: 'tool', tool_call_id: callId, content: 'It is 21 degrees in demo' });
  expect(clientBodies).toHaveLength(2);
  // Minimal edits only: the upstream model name, the model's output cap (the client set none) and an explicit `stream`.
  bodies.forEach((body, index) => {
    const sent = clientBodies[index]!;
    expect(body).toEqual({ ...sent, model: 'mock-ok', max_tokens: 256, stream: sent.stream ?? false });
  });
}

/** One success record per call with LangChain's reported tokens, and the wallet debited by exactly their cost. */
async function expectBilled(userId: string, before: bigint, usages: { input_tokens: number; output_tokens: number }[]) {
  await settled(world.server);
  const rows = await world.server.server.platform.db
    .selectFrom('usage_records')
    .select(['input_tokens', 'output_tokens', 'cost_nano', 'status'])
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .execute();
  expect(rows).toEqual(
    usages.map((usage) => ({
      input_tokens: usage.input_tokens,
      output_tokens: usage.output_tokens,
      cost_nano: expectedCostNano({ prompt_tokens: usage.input_tokens, completion_tokens: usage.output_tokens }),
      status: 'success',
    })),
  );
  const charged = rows.reduce((sum, row) => sum + row.cost_nano, 0n);
  expect(charged).toBeGreaterThan(0n);
  expect(before - (await balanceNano(world.server, userId))).toBe(charged);
}

describe('/v1/chat/completions with LangChain ChatOpenAI', () => {
  it('answers a plain invoke', async () => {
    const { key } = await customer();
    const answer = await chatModel(key).invoke('Hello LangChain');
    expect(answer.content).toBe(`You said: Hello LangChain. ${MOCK_REPLY_SUFFIX}`);
    expect(answer.response_metadata.finish_reason).toBe('stop');
    expect(answer.usage_metadata?.input_tokens).toBeGreaterThan(0);
  });

  it('refuses a caller without a platform API key with a 401 that LangChain surfaces, and never reaches the upstream', async () => {
    const from = world.upstream.requests.length;
    const error: unknown = await chatModel('sk-not-a-key')
      .invoke('Hello')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401, lc_error_code: 'MODEL_AUTHENTICATION' });
    expect(world.upstream.requests.length).toBe(from);
  });

  it('runs a bindTools round trip: tool_calls, a ToolMessage answering the call id, then the final answer, each call billed', async () => {
    const { key, userId } = await customer();
    const before = await balanceNano(world.server, userId);
    const from = world.upstream.requests.length;
    const llm = chatModel(key).bindTools([getWeather]);
    const messages: BaseMessage[] = [new HumanMessage('What is the weather in Paris? Use get_weather.')];

    const first = await llm.invoke(messages);
    expect(first.content).toBe('');
    expect(first.response_metadata.finish_reason).toBe('tool_calls');
    expect(first.tool_calls).toEqual([
      { name: 'get_weather', args: { city: 'demo' }, id: expect.stringMatching(/^call_mock_/), type: 'tool_call' },
    ]);

    messages.push(first, await runTool(first.tool_calls![0]!));
    const final = await llm.invoke(messages);
    expect(final.content).toBe(FINAL_ANSWER);
    expect(final.tool_calls).toEqual([]);

    expectToolResultForwarded(upstreamChatBodies(from), first.tool_calls![0]!.id!);
    await expectBilled(userId, before, [first.usage_metadata!, final.usage_metadata!]);
  });

  it('streams the same loop with .stream(): tool call chunks concatenate into a call, then the answer streams', async () => {
    const { key, userId } = await customer();
    const before = await balanceNano(world.server, userId);
    const from = world.upstream.requests.length;
    const llm = chatModel(key).bindTools([getWeather]);
    const messages: BaseMessage[] = [new HumanMessage('Stream the weather in Oslo with get_weather.')];

    let call: AIMessageChunk | undefined;
    let chunks = 0;
    for await (const chunk of await llm.stream(messages)) {
      chunks++;
      call = call ? call.concat(chunk) : chunk;
    }
    expect(chunks).toBeGreaterThan(2);
    expect(call!.tool_call_chunks?.map((part) => part.args).join('')).toBe('{"city":"demo"}');
    expect(call!.tool_calls).toEqual([
      { name: 'get_weather', args: { city: 'demo' }, id: expect.stringMatching(/^call_mock_/), type: 'tool_call' },
    ]);

    messages.push(call!, await runTool(call!.tool_calls![0]!));
    const pieces: string[] = [];
    let answer: AIMessageChunk | undefined;
    for await (const chunk of await llm.stream(messages)) {
      if (typeof chunk.content === 'string' && chunk.content !== '') pieces.push(chunk.content);
      answer = answer ? answer.concat(chunk) : chunk;
    }
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(FINAL_ANSWER);
    expect(answer!.content).toBe(FINAL_ANSWER);

    const bodies = upstreamChatBodies(from);
    expect(bodies.every((body) => body.stream === true)).toBe(true);
    expectToolResultForwarded(bodies, call!.tool_calls![0]!.id!);
    await expectBilled(userId, before, [call!.usage_metadata!, answer!.usage_metadata!]);
  });
});
