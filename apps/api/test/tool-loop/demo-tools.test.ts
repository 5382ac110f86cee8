import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, createApp, signUp, startTestServer, type ApiClient, type TestServer } from '../kit/index.js';
import { freePort } from '../kit/ports.js';

// `pnpm start`'s offline demo: demo-echo calls the seeded calculator (http, on the platform's own
// port, signed) and clock (MCP, on the same port), and answers with what they returned.

let server: TestServer;
let api: ApiClient;

beforeAll(async () => {
  const port = await freePort();
  server = await startTestServer({ PORT: String(port), MAAS_PUBLIC_URL: `http://127.0.0.1:${port}`, MAAS_SEED_DEMO: '1' });
  api = apiClient(server.url);
});
afterAll(async () => {
  await server?.close();
});

async function demoTool(name: string) {
  return server.server.platform.db
    .selectFrom('tools as t')
    .innerJoin('tool_versions as v', 'v.tool_id', 't.id')
    .select(['t.id', 't.kind', 't.price_per_call_nano', 'v.endpoint_url', 'v.server_url', 'v.functions'])
    .where('t.name', '=', name)
    .executeTakeFirstOrThrow();
}

async function demoAppWithTools() {
  const user = await signUp(api);
  const models = await api.get('/api/v1/models?page_size=100', user.token);
  const demoChat = (models.body.data as { id: string; name: string }[]).find((m) => m.name === 'demo-chat')!;
  const app = await createApp(api, user.token, demoChat.id, { system_prompt: 'You can use tools.' });
  const tools = [await demoTool('Calculator'), await demoTool('Clock')];
  await server.server.platform.db
    .insertInto('application_tools')
    .values(tools.map((t, position) => ({ app_id: app.id, tool_id: t.id, version: null, config: '{}', fixed_arguments: '{}', position })))
    .execute();
  server.server.platform.applications.forget(app.id);
  return { user, app };
}

describe('the seeded demo tools', () => {
  it('are seeded on the platform own origin: a priced http calculator and a free MCP clock', async () => {
    const calculator = await demoTool('Calculator');
    const clock = await demoTool('Clock');
    expect(calculator).toMatchObject({ kind: 'http', endpoint_url: `${server.url}/demo/tools/calculator` });
    expect(calculator.price_per_call_nano).toBeGreaterThan(0n);
    expect(clock).toMatchObject({ kind: 'mcp', server_url: `${server.url}/demo/tools/mcp/clock`, price_per_call_nano: 0n });
  });

  it('the clock is a real MCP server: tools/list matches the seeded functions, tools/call answers', async () => {
    // JSON-RPC over Streamable HTTP, as an MCP client sends it (the runner's client is the SDK's).
    const rpc = async (id: number, method: string, params: Record<string, unknown> = {}) => {
      const response = await fetch(`${server.url}/demo/tools/mcp/clock`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { result: Record<string, unknown> }).result;
    };
    const listed = (await rpc(1, 'tools/list')) as { tools: { name: string; inputSchema: { properties: Record<string, unknown> } }[] };
    const seeded = (await demoTool('Clock')).functions;
    expect(listed.tools.map((t) => t.name)).toEqual(seeded.map((f) => f.name));
    for (const [i, tool] of listed.tools.entries()) {
      expect(Object.keys(tool.inputSchema.properties).sort()).toEqual(Object.keys(seeded[i]!.parameters.properties as object).sort());
    }
    const converted = await rpc(2, 'tools/call', {
      name: 'convert_timezone',
      arguments: { time: '2026-01-01T00:00:00Z', to: 'Asia/Tokyo' },
    });
    expect(converted.content).toEqual([{ type: 'text', text: '2026-01-01 09:00:00 (Asia/Tokyo)' }]);
  });

  it('the calculator refuses an unsigned call', async () => {
    const calculator = await demoTool('Calculator');
    const res = await api.post('/demo/tools/calculator', {
      tool_id: calculator.id,
      function: 'calculate',
      arguments: { expression: '1+1' },
    });
    expect(res.status).toBe(401);
  });

  it('demo-echo runs the whole loop offline: "use the calculator to compute 2+3*4"', async () => {
    const { user, app } = await demoAppWithTools();
    const res = await api.post(`/api/v1/applications/${app.id}/chat`, { message: 'use the calculator to compute 2+3*4' }, user.token);
    expect(res.status).toBe(200);
    expect(res.body.tool_calls).toMatchObject([{ function: 'calculate', arguments: '{"expression":"2+3*4"}', status: 'success' }]);
    expect(res.body.message).toContain('2+3*4 = 14');
    const calculator = await demoTool('Calculator');
    expect(res.body.cost_breakdown.tools).toBe(Number(calculator.price_per_call_nano) / 1e9);
  });

  it('demo-echo asks the MCP clock for the time now, streamed', async () => {
    const { user, app } = await demoAppWithTools();
    const response = await fetch(`${server.url}/api/v1/applications/${app.id}/chat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'what time is it? ask the clock for now', stream: true }),
    });
    const text = await response.text();
    const events = text
      .split('\n\n')
      .map((block) =>
        block
          .split('\n')
          .find((line) => line.startsWith('data: '))
          ?.slice(6),
      )
      .filter((data): data is string => data !== undefined)
      .map((data) => JSON.parse(data) as { type: string; [k: string]: unknown });
    expect(events[0]).toMatchObject({ type: 'tool_call', function: 'now' });
    expect(events[1]).toMatchObject({ type: 'tool_result', status: 'success', cost: 0 });
    const done = events.at(-1)!;
    expect(done.type).toBe('done');
    expect(done.message).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \(UTC\)/);
  });
});
