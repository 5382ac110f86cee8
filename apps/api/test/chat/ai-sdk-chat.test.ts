// Issue 13 part 7: the Vercel AI SDK's Chat Completions provider, `openai.chat(model)`, through
// /v1/chat/completions against the STRICT OpenAI mock (a tool result must answer an earlier tool call
// id), with generateText and streamText running a tool loop under stopWhen: stepCountIs(3). Each step
// is one billed call: one usage record per step, and the wallet pays exactly their sum.
import { createOpenAI } from '@ai-sdk/openai';
import { APICallError, generateText, stepCountIs, streamText, tool } from 'ai';
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
  const res = await world.api.post('/api/v1/api-keys', { name: 'ai-sdk-chat' }, user.token);
  expect(res.status).toBe(201);
  return { key: res.body.key as string, userId: user.id };
}

/** Bodies the SDK sent to the gateway, read off its own fetch (the request still goes over HTTP). */
let clientBodies: Record<string, unknown>[] = [];

const recordingFetch: typeof fetch = (input, init) => {
  if (typeof init?.body === 'string') clientBodies.push(JSON.parse(init.body) as Record<string, unknown>);
  return fetch(input, init);
};

function chatProvider(key: string) {
  clientBodies = [];
  return createOpenAI({ apiKey: key, baseURL: `${world.server.url}/v1`, fetch: recordingFetch });
}

function weatherTool(calls: string[]) {
  return tool({
    description: 'Current weather in a city',
    inputSchema: z.object({ city: z.string() }),
    execute: async ({ city }) => {
      calls.push(city);
      return { city, temperature: 21 };
    },
  });
}

async function usageRows(userId: string) {
  await settled(world.server);
  return world.server.server.platform.db
    .selectFrom('usage_records')
    .select(['input_tokens', 'output_tokens', 'cost_nano', 'uncollected_nano', 'status'])
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .execute();
}

/** The chat completions requests the upstream received since `from`. */
function upstreamChatBodies(from: number): Record<string, unknown>[] {
  return world.upstream.requests
    .slice(from)
    .filter((request) => request.url.endsWith('/chat/completions'))
    .map((request) => request.body!);
}

const TOOL_ANSWER = `Tool said: {"city":"demo","temperature":21}. ${MOCK_REPLY_SUFFIX}`;

interface StepLike {
  finishReason: string;
  text: string;
  toolCalls: { toolCallId: string; toolName: string; input: unknown }[];
  toolResults: { toolCallId: string; output: unknown }[];
  usage: { inputTokens: number | undefined; outputTokens: number | undefined };
}

/** Step 1 calls the tool, step 2 answers with its result; the loop stops there, before the third step. */
function expectTwoStepLoop(steps: readonly StepLike[]): string {
  expect(steps).toHaveLength(2);
  const [first, second] = steps as [StepLike, StepLike];
  expect(first.finishReason).toBe('tool-calls');
  expect(first.text).toBe('');
  expect(first.toolCalls).toEqual([
    expect.objectContaining({ toolName: 'get_weather', input: { city: 'demo' }, toolCallId: expect.stringMatching(/^call_mock_/) }),
  ]);
  const callId = first.toolCalls[0]!.toolCallId;
  expect(first.toolResults).toEqual([expect.objectContaining({ toolCallId: callId, output: { city: 'demo', temperature: 21 } })]);
  expect(second.finishReason).toBe('stop');
  expect(second.toolCalls).toEqual([]);
  expect(second.text).toBe(TOOL_ANSWER);
  return callId;
}

/**
 * Step 2's upstream body carries the assistant tool call and the tool result that answers its id, and
 * the gateway forwarded the rest of the SDK's body exactly as the SDK wrote it.
 */
function expectToolResultForwarded(bodies: Record<string, unknown>[], callId: string) {
  expect(bodies).toHaveLength(2);
  const messages = bodies[1]!.messages as Record<string, unknown>[];
  expect(messages.map((message) => message.role)).toEqual(['user', 'assistant', 'tool']);
  expect(messages[1]).toMatchObject({
    role: 'assistant',
    tool_calls: [{ id: callId, type: 'function', function: { name: 'get_weather', arguments: '{"city":"demo"}' } }],
  });
  expect(messages[2]).toEqual({ role: 'tool', tool_call_id: callId, content: '{"city":"demo","temperature":21}' });
  expect(clientBodies).toHaveLength(2);
  // Minimal edits only: the upstream model name, the model's output cap (the client set none) and an explicit `stream`.
  bodies.forEach((body, index) => {
    const sent = clientBodies[index]!;
    expect(body).toEqual({ ...sent, model: 'mock-ok', max_tokens: 256, stream: sent.stream ?? false });
  });
}

/** One success record per step with the step's tokens, and the wallet debited by exactly their cost. */
async function expectBilledPerStep(userId: string, before: bigint, steps: readonly StepLike[]) {
  const rows = await usageRows(userId);
  expect(rows).toEqual(
    steps.map((step) => ({
      input_tokens: step.usage.inputTokens,
      output_tokens: step.usage.outputTokens,
      cost_nano: expectedCostNano({ prompt_tokens: step.usage.inputTokens!, completion_tokens: step.usage.outputTokens! }),
      uncollected_nano: 0n,
      status: 'success',
    })),
  );
  const charged = rows.reduce((sum, row) => sum + row.cost_nano, 0n);
  expect(charged).toBeGreaterThan(0n);
  expect(before - (await balanceNano(world.server, userId))).toBe(charged);
}

describe('/v1/chat/completions with the Vercel AI SDK openai.chat(model) provider', () => {
  it('answers generateText and streamText without tools, with usage', async () => {
    const { key } = await customer();
    const provider = chatProvider(key);
    const generated = await generateText({ model: provider.chat(model.name), prompt: 'Hello chat SDK', maxRetries: 0 });
    expect(generated.text).toBe(`You said: Hello chat SDK. ${MOCK_REPLY_SUFFIX}`);
    expect(generated.finishReason).toBe('stop');
    expect(generated.usage.inputTokens).toBeGreaterThan(0);

    const streamed = streamText({ model: provider.chat(model.name), prompt: 'Stream chat SDK', maxRetries: 0 });
    const pieces: string[] = [];
    for await (const piece of streamed.textStream) pieces.push(piece);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(`You said: Stream chat SDK. ${MOCK_REPLY_SUFFIX}`);
    expect((await streamed.usage).outputTokens).toBeGreaterThan(0);
  });

  it('refuses a caller without a platform API key with a 401 in OpenAI shape that the SDK reads, and never reaches the upstream', async () => {
    const from = world.upstream.requests.length;
    const error: unknown = await generateText({
      model: chatProvider('sk-not-a-key').chat(model.name),
      prompt: 'Hello',
      maxRetries: 0,
    }).catch((e: unknown) => e);
    expect(APICallError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 401, isRetryable: false });
    expect((error as APICallError).message).toMatch(/api key/i);
    expect(world.upstream.requests.length).toBe(from);
  });

  it('runs a generateText tool loop with stopWhen: stepCountIs(3); step 2 answers the tool call id and each step is billed', async () => {
    const { key, userId } = await customer();
    const before = await balanceNano(world.server, userId);
    const from = world.upstream.requests.length;
    const calls: string[] = [];
    const result = await generateText({
      model: chatProvider(key).chat(model.name),
      tools: { get_weather: weatherTool(calls) },
      stopWhen: stepCountIs(3),
      prompt: 'What is the weather? Use get_weather.',
      maxRetries: 0,
    });
    const callId = expectTwoStepLoop(result.steps);
    expect(calls).toEqual(['demo']);
    expect(result.text).toBe(TOOL_ANSWER);
    expect(result.totalUsage.inputTokens).toBe(result.steps[0]!.usage.inputTokens! + result.steps[1]!.usage.inputTokens!);
    expectToolResultForwarded(upstreamChatBodies(from), callId);
    await expectBilledPerStep(userId, before, result.steps);
  });

  it('runs a streamText tool loop with stopWhen: stepCountIs(3); tool call deltas assemble and each step is billed', async () => {
    const { key, userId } = await customer();
    const before = await balanceNano(world.server, userId);
    const from = world.upstream.requests.length;
    const calls: string[] = [];
    const streamed = streamText({
      model: chatProvider(key).chat(model.name),
      tools: { get_weather: weatherTool(calls) },
      stopWhen: stepCountIs(3),
      prompt: 'And the weather now? Use get_weather.',
      maxRetries: 0,
    });
    const parts: string[] = [];
    for await (const part of streamed.fullStream) {
      if (part.type === 'error') throw part.error instanceof Error ? part.error : new Error(JSON.stringify(part.error));
      parts.push(part.type);
    }
    // The tool call arrived as streamed input deltas, not only as a finished call.
    expect(parts).toEqual(expect.arrayContaining(['tool-input-start', 'tool-input-delta', 'tool-call', 'tool-result', 'text-delta']));
    const steps = await streamed.steps;
    const callId = expectTwoStepLoop(steps);
    expect(calls).toEqual(['demo']);
    expect(await streamed.text).toBe(TOOL_ANSWER);
    const bodies = upstreamChatBodies(from);
    expect(bodies.every((body) => body.stream === true)).toBe(true);
    expectToolResultForwarded(bodies, callId);
    await expectBilledPerStep(userId, before, steps);
  });
});
