// Running a tool call (issue 16 part 3): entitlement, arguments, the held price, signed http calls
// and MCP calls against real servers, and settlement exactly once, on PGlite and PostgreSQL.
import { type Actor, runToolCall, type ToolCallInput } from '@maas/api';
import { listMcpFunctions, reserveFunds, settleToolCall } from '@maas/api/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  apiClient,
  type ApiClient,
  balanceNano,
  ledgerOf,
  nano,
  signUp,
  signUpAs,
  startPeerServer,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../kit/index.js';
import {
  ADD_FUNCTION,
  type HttpToolServer,
  insertTool,
  type McpToolServer,
  noArguments,
  startHttpToolServer,
  startMcpToolServer,
} from './tool-servers.js';

const SECRET = 'whsec-runner-tests-0123456789abcdef';
const SIGNUP = nano('10');

let server: TestServer;
let api: ApiClient;
let author: TestUser;
let http: HttpToolServer;
let mcp: McpToolServer;
let httpTool: string;

const HTTP_FUNCTIONS = [
  ADD_FUNCTION,
  { name: 'greet', description: 'Greets', parameters: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } },
  ...['slow', 'crash', 'reject', 'big'].map(noArguments),
];

beforeAll(async () => {
  server = await startTestServer({ MAAS_TOOL_TIMEOUT_MS: '1000', MAAS_TOOL_MAX_RESPONSE_BYTES: '65536' });
  api = apiClient(server.url);
  author = await signUpAs(server, api, 'developer', 'toolauthor');
  http = await startHttpToolServer(SECRET);
  mcp = await startMcpToolServer();
  httpTool = await insertTool(server, author.id, {
    kind: 'http',
    url: `${http.url}/call`,
    functions: HTTP_FUNCTIONS,
    pricePerCallNano: nano('0.5'),
    signingSecret: SECRET,
  });
});
afterAll(async () => {
  await http?.close();
  await mcp?.close();
  await server?.close();
});

function actorOf(user: { id: string }): Actor {
  return { userId: user.id, role: 'user', sessionId: null, apiKeyId: null };
}

let callCounter = 0;
function call(user: { id: string }, toolId: string, functionName: string, args: unknown, extra: Partial<ToolCallInput> = {}) {
  callCounter += 1;
  return runToolCall(server.server.platform, {
    actor: actorOf(user),
    toolId,
    version: '1.0.0',
    functionName,
    argumentsJson: typeof args === 'string' ? args : JSON.stringify(args),
    callId: `call_${callCounter}`,
    appId: null,
    conversationId: null,
    config: {},
    fixedArguments: {},
    via: 'app',
    requestId: `req_runner_${callCounter}`,
    signal: new AbortController().signal,
    ...extra,
  });
}

async function heldNano(userId: string): Promise<bigint> {
  const row = await server.server.platform.db
    .selectFrom('wallets')
    .select('held_nano')
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return row.held_nano;
}

async function toolCallRow(id: string) {
  return server.server.platform.db.selectFrom('tool_calls').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function ledgerOfCall(id: string) {
  return server.server.platform.db.selectFrom('ledger_entries').selectAll().where('reference_id', '=', id).orderBy('kind').execute();
}

describe('a successful http call', () => {
  it('is signed, charges the payer the price and credits the author the price less the fee, in ledger entries naming the call', async () => {
    const payer = await signUp(api, 'payer');
    const authorBefore = await balanceNano(server, author.id);
    const outcome = await call(payer, httpTool, 'add', { a: 1, b: 100 }, { fixedArguments: { b: 2 }, config: { api_key: 'k-123' } });
    expect(outcome).toMatchObject({ status: 'success', content: '3', isError: false, costNano: nano('0.5') });
    expect(outcome.id).toMatch(/^tcall_/);

    // The tool saw the fixed argument (not the model's), the installer's config and the call id.
    const received = http.calls.at(-1)!;
    expect(received).toMatchObject({
      tool_id: httpTool,
      version: '1.0.0',
      function: 'add',
      arguments: { a: 1, b: 2 },
      config: { api_key: 'k-123' },
    });
    expect(received.call_id).toBe(`call_${callCounter}`);
    expect(received.requestId).toBe(`req_runner_${callCounter}`);

    expect(await balanceNano(server, payer.id)).toBe(SIGNUP - nano('0.5'));
    expect(await heldNano(payer.id)).toBe(0n);
    expect((await balanceNano(server, author.id)) - authorBefore).toBe(nano('0.45'));
    const entries = await ledgerOfCall(outcome.id);
    expect(entries.map((entry) => [entry.kind, entry.user_id, entry.amount_nano])).toEqual([
      ['tool_call', payer.id, -nano('0.5')],
      ['tool_revenue', author.id, nano('0.45')],
    ]);
    expect(await toolCallRow(outcome.id)).toMatchObject({
      tool_id: httpTool,
      version: '1.0.0',
      function_name: 'add',
      payer_id: payer.id,
      author_id: author.id,
      via: 'app',
      status: 'success',
      cost_nano: nano('0.5'),
      author_credit_nano: nano('0.45'),
      error: null,
    });
  });

  it('gives a text answer to the model as it is', async () => {
    const payer = await signUp(api, 'payer');
    expect(await call(payer, httpTool, 'greet', { name: 'Ann' })).toMatchObject({ status: 'success', content: 'hello Ann' });
  });

  it('costs the author nothing to call their own tool', async () => {
    const before = await balanceNano(server, author.id);
    expect(await call(author, httpTool, 'add', { a: 2, b: 2 })).toMatchObject({ status: 'success', content: '4', costNano: 0n });
    expect(await balanceNano(server, author.id)).toBe(before);
  });
});

describe('a failed call charges nothing', () => {
  async function expectNothingCharged(payer: TestUser, id: string) {
    expect(await balanceNano(server, payer.id)).toBe(SIGNUP);
    expect(await heldNano(payer.id)).toBe(0n);
    expect(await ledgerOfCall(id)).toEqual([]);
    expect(await toolCallRow(id)).toMatchObject({ cost_nano: 0n, author_credit_nano: 0n });
  }

  it('a timeout (MAAS_TOOL_TIMEOUT_MS) is a timeout, and the model is told', async () => {
    const payer = await signUp(api, 'payer');
    const started = Date.now();
    const outcome = await call(payer, httpTool, 'slow', {});
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(outcome).toMatchObject({ status: 'timeout', isError: true, costNano: 0n });
    expect(outcome.content).toContain('did not answer');
    await expectNothingCharged(payer, outcome.id);
    expect((await toolCallRow(outcome.id)).status).toBe('timeout');
  });

  it('a 5xx is an error', async () => {
    const payer = await signUp(api, 'payer');
    const outcome = await call(payer, httpTool, 'crash', {});
    expect(outcome).toMatchObject({ status: 'error', isError: true, costNano: 0n });
    expect(outcome.content).toContain('503');
    await expectNothingCharged(payer, outcome.id);
  });

  it('a 4xx is an error quoting the tool', async () => {
    const payer = await signUp(api, 'payer');
    const outcome = await call(payer, httpTool, 'reject', {});
    expect(outcome).toMatchObject({ status: 'error', costNano: 0n });
    expect(outcome.content).toMatch(/422.*cannot do that/);
    await expectNothingCharged(payer, outcome.id);
  });

  it('an answer over MAAS_TOOL_MAX_RESPONSE_BYTES is an error', async () => {
    const payer = await signUp(api, 'payer');
    const outcome = await call(payer, httpTool, 'big', {});
    expect(outcome).toMatchObject({ status: 'error', costNano: 0n });
    expect(outcome.content).toContain('larger than 65536 bytes');
    await expectNothingCharged(payer, outcome.id);
  });

  it('a call signed with another secret is refused by the tool, and charged nothing', async () => {
    const payer = await signUp(api, 'payer');
    const wrong = await insertTool(server, author.id, {
      kind: 'http',
      url: http.url,
      functions: [ADD_FUNCTION],
      pricePerCallNano: nano('0.5'),
      signingSecret: 'not-the-secret-the-tool-knows',
    });
    const refusedBefore = http.refused.length;
    const outcome = await call(payer, wrong, 'add', { a: 1, b: 1 });
    expect(outcome).toMatchObject({ status: 'error', costNano: 0n });
    expect(http.refused.slice(refusedBefore)).toEqual(['bad signature']);
    await expectNothingCharged(payer, outcome.id);
  });
});

describe('checks before anything is called', () => {
  it('bad arguments are invalid_arguments, told to the model; nothing is called or charged', async () => {
    const payer = await signUp(api, 'payer');
    const before = http.calls.length;
    const wrongType = await call(payer, httpTool, 'add', { a: 'one', b: 2 });
    expect(wrongType).toMatchObject({ status: 'invalid_arguments', isError: true, costNano: 0n });
    expect(wrongType.content).toContain('arguments.a must be number');
    const missing = await call(payer, httpTool, 'add', { a: 1 });
    expect(missing.content).toContain("must have required property 'b'");
    const extra = await call(payer, httpTool, 'add', { a: 1, b: 2, c: 3 });
    expect(extra.content).toContain('must not have property "c"');
    const malformed = await call(payer, httpTool, 'add', '{"a": 1,');
    expect(malformed).toMatchObject({ status: 'invalid_arguments' });
    expect(malformed.content).toContain('not valid JSON');
    const notObject = await call(payer, httpTool, 'add', '[1, 2]');
    expect(notObject.content).toContain('must be a JSON object');
    const unknown = await call(payer, httpTool, 'subtract', { a: 1, b: 2 });
    expect(unknown).toMatchObject({ status: 'invalid_arguments' });
    expect(unknown.content).toContain('no function "subtract"');

    expect(http.calls.length).toBe(before);
    expect(await balanceNano(server, payer.id)).toBe(SIGNUP);
    expect((await toolCallRow(wrongType.id)).status).toBe('invalid_arguments');
  });

  it('a tool bought by nobody here is refused until it is bought', async () => {
    const payer = await signUp(api, 'payer');
    const priced = await insertTool(server, author.id, {
      kind: 'http',
      url: http.url,
      functions: [ADD_FUNCTION],
      priceNano: nano('2'),
      signingSecret: SECRET,
    });
    const before = http.calls.length;
    const refused = await call(payer, priced, 'add', { a: 1, b: 1 });
    expect(refused).toMatchObject({ status: 'refused', isError: true, costNano: 0n });
    expect(http.calls.length).toBe(before);

    const bought = await api.post(`/api/v1/tools/${priced}/purchase`, { payment_method: 'balance' }, payer.token);
    expect(bought.status).toBe(201);
    expect(await call(payer, priced, 'add', { a: 1, b: 1 })).toMatchObject({ status: 'success', content: '2' });
  });

  it("another author's draft is refused, even when free", async () => {
    const payer = await signUp(api, 'payer');
    const draft = await insertTool(server, author.id, { kind: 'http', url: http.url, functions: [ADD_FUNCTION], status: 'draft' });
    expect(await call(payer, draft, 'add', { a: 1, b: 1 })).toMatchObject({ status: 'refused' });
  });

  it('a price above the spendable balance is insufficient_funds, and the tool is not called', async () => {
    const payer = await signUp(api, 'payer');
    const dear = await insertTool(server, author.id, {
      kind: 'http',
      url: http.url,
      functions: [ADD_FUNCTION],
      pricePerCallNano: nano('10.000000001'),
      signingSecret: SECRET,
    });
    const before = http.calls.length;
    const outcome = await call(payer, dear, 'add', { a: 1, b: 1 });
    expect(outcome).toMatchObject({ status: 'insufficient_funds', costNano: 0n });
    expect(http.calls.length).toBe(before);
    expect(await balanceNano(server, payer.id)).toBe(SIGNUP);
    expect(await heldNano(payer.id)).toBe(0n);
  });
});

describe('the outbound address guard', () => {
  it('refuses a loopback tool without MAAS_ALLOW_PRIVATE_UPSTREAMS, except a demo route on the platform’s own origin', async () => {
    // Another instance over the same database, with private addresses refused and its public URL
    // set to the tool server's origin (standing in for the platform's own port).
    const guarded = await startPeerServer(server, { MAAS_ALLOW_PRIVATE_UPSTREAMS: '0', MAAS_PUBLIC_URL: http.url });
    try {
      const payer = await signUp(api, 'payer');
      const elsewhere = await insertTool(server, author.id, {
        kind: 'http',
        url: `${http.url}/tools/add`,
        functions: [ADD_FUNCTION],
        signingSecret: SECRET,
      });
      const demo = await insertTool(server, author.id, {
        kind: 'http',
        url: `${http.url}/demo/tools/add`,
        functions: [ADD_FUNCTION],
        signingSecret: SECRET,
      });
      const mcpTool = await insertTool(server, author.id, { kind: 'mcp', url: mcp.url, functions: [ADD_FUNCTION] });
      const run = (toolId: string) =>
        runToolCall(guarded.server.platform, {
          actor: actorOf(payer),
          toolId,
          version: '1.0.0',
          functionName: 'add',
          argumentsJson: '{"a":2,"b":3}',
          callId: 'call_guard',
          appId: null,
          conversationId: null,
          config: {},
          fixedArguments: {},
          via: 'app',
          requestId: 'req_guard',
          signal: new AbortController().signal,
        });
      const before = http.calls.length;
      const refused = await run(elsewhere);
      expect(refused).toMatchObject({ status: 'error', costNano: 0n });
      expect(refused.content).toContain('not a public address');
      expect(http.calls.length).toBe(before);
      const mcpRefused = await run(mcpTool);
      expect(mcpRefused).toMatchObject({ status: 'error' });
      expect(mcp.calls.length).toBe(0);
      // Publishing an mcp tool reads its functions through the same guard.
      await expect(listMcpFunctions(guarded.server.platform, mcp.url, new AbortController().signal)).rejects.toThrow(
        /MCP server could not be listed.*not a public address/,
      );

      expect(await run(demo)).toMatchObject({ status: 'success', content: '5' });
    } finally {
      await guarded.close();
    }
  });
});

describe('mcp tools', () => {
  let mcpTool: string;
  beforeAll(async () => {
    const functions = await listMcpFunctions(server.server.platform, mcp.url, new AbortController().signal);
    expect(functions.map((fn) => fn.name)).toEqual(['add', 'slow', 'fail']);
    expect(functions[0]!.parameters).toMatchObject({ type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } } });
    mcpTool = await insertTool(server, author.id, { kind: 'mcp', url: mcp.url, functions, pricePerCallNano: nano('0.25') });
  });

  it('calls tools/call and bills it like an http call', async () => {
    const payer = await signUp(api, 'payer');
    const outcome = await call(payer, mcpTool, 'add', { a: 20, b: 22 });
    expect(outcome).toMatchObject({ status: 'success', content: '42', costNano: nano('0.25') });
    expect(mcp.calls.at(-1)).toEqual({ name: 'add', args: { a: 20, b: 22 } });
    expect(await balanceNano(server, payer.id)).toBe(SIGNUP - nano('0.25'));
    expect((await ledgerOfCall(outcome.id)).map((entry) => entry.kind)).toEqual(['tool_call', 'tool_revenue']);
  });

  it('a result flagged isError is an error, charged nothing', async () => {
    const payer = await signUp(api, 'payer');
    const outcome = await call(payer, mcpTool, 'fail', {});
    expect(outcome).toMatchObject({ status: 'error', content: 'it broke', costNano: 0n });
    expect(await balanceNano(server, payer.id)).toBe(SIGNUP);
  });

  it('a slow MCP tool times out, charged nothing', async () => {
    const payer = await signUp(api, 'payer');
    const outcome = await call(payer, mcpTool, 'slow', {});
    expect(outcome).toMatchObject({ status: 'timeout', costNano: 0n });
    expect(await balanceNano(server, payer.id)).toBe(SIGNUP);
    expect(await heldNano(payer.id)).toBe(0n);
  });
});

describe('settlement under concurrency and replay', () => {
  it('50 concurrent calls at the edge of a wallet: floor(balance / price) succeed, the balance never goes negative, the books are exact', async () => {
    const payer = await signUp(api, 'edge');
    const price = nano('0.3');
    const edgeTool = await insertTool(server, author.id, {
      kind: 'http',
      url: http.url,
      functions: [ADD_FUNCTION],
      pricePerCallNano: price,
      signingSecret: SECRET,
    });
    const authorBefore = await balanceNano(server, author.id);
    // An instance with the default time limit: 50 calls settling at once keep an in-process PGlite
    // (and so the event loop) busy for longer than this file's 1 s limit.
    const patient = await startPeerServer(server, { MAAS_TOOL_TIMEOUT_MS: '30000' });
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        runToolCall(patient.server.platform, {
          actor: actorOf(payer),
          toolId: edgeTool,
          version: '1.0.0',
          functionName: 'add',
          argumentsJson: JSON.stringify({ a: i, b: 1 }),
          callId: `call_edge_${i}`,
          appId: null,
          conversationId: null,
          config: {},
          fixedArguments: {},
          via: 'app',
          requestId: `req_edge_${i}`,
          signal: new AbortController().signal,
        }),
      ),
    ).finally(() => patient.close());
    const successes = outcomes.filter((outcome) => outcome.status === 'success');
    expect(successes.length).toBe(Number(SIGNUP / price)); // 33
    expect(outcomes.filter((outcome) => outcome.status === 'insufficient_funds').length).toBe(50 - successes.length);

    const balance = await balanceNano(server, payer.id);
    expect(balance).toBe(SIGNUP - BigInt(successes.length) * price);
    expect(balance >= 0n).toBe(true);
    expect(await heldNano(payer.id)).toBe(0n);
    const ledger = await ledgerOf(server, payer.id);
    expect(ledger.reduce((sum, entry) => sum + entry.amount_nano, 0n)).toBe(balance);
    expect(ledger.filter((entry) => entry.kind === 'tool_call').length).toBe(successes.length);
    expect((await balanceNano(server, author.id)) - authorBefore).toBe(BigInt(successes.length) * nano('0.27'));
    const { rows } = await sql<{ calls: string; charged: string; credited: string }>`
      SELECT count(*) AS calls, sum(cost_nano) AS charged, sum(author_credit_nano) AS credited
      FROM tool_calls WHERE tool_id = ${edgeTool}`.execute(server.server.platform.db);
    expect(rows[0]).toMatchObject({ calls: expect.anything() });
    expect(Number(rows[0]!.calls)).toBe(50);
    expect(BigInt(rows[0]!.charged)).toBe(BigInt(successes.length) * price);
    expect(BigInt(rows[0]!.credited)).toBe(BigInt(successes.length) * nano('0.27'));
  });

  it('a replayed settlement books nothing twice', async () => {
    const payer = await signUp(api, 'replay');
    const { db } = server.server.platform;
    const reservation = await reserveFunds(db, { userId: payer.id, amountNano: nano('0.5'), modelId: `tool:${httpTool}` });
    expect(reservation).not.toBeNull();
    const input = {
      call: {
        id: 'tcall_replayedsettlement',
        toolId: httpTool,
        version: '1.0.0',
        functionName: 'add',
        payerId: payer.id,
        authorId: author.id,
        appId: null,
        conversationId: null,
        callId: 'call_replay',
        requestId: null,
        via: 'app' as const,
        status: 'success' as const,
        latencyMs: 12,
        error: null,
      },
      reservationId: reservation!.reservationId,
      priceNano: nano('0.5'),
      authorShareNano: nano('0.45'),
    };
    const authorBefore = await balanceNano(server, author.id);
    const [first, second] = await Promise.all([settleToolCall(db, input), settleToolCall(db, input)]);
    const third = await settleToolCall(db, input);
    expect([first.replayed, second.replayed].sort()).toEqual([false, true]);
    expect(third).toEqual({ costNano: nano('0.5'), authorCreditNano: nano('0.45'), replayed: true });
    expect(await balanceNano(server, payer.id)).toBe(SIGNUP - nano('0.5'));
    expect(await heldNano(payer.id)).toBe(0n);
    expect((await balanceNano(server, author.id)) - authorBefore).toBe(nano('0.45'));
    expect((await ledgerOfCall('tcall_replayedsettlement')).length).toBe(2);
  });
});
