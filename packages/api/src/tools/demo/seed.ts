// The demo marketplace's two tools that run offline (issue 16 part 7), served by the platform itself
// (routes in apps/api/src/routes/demo-tools.ts). Their URLs are on the platform's public URL
// (MAAS_PUBLIC_URL, else http://localhost:PORT) and follow it when it changes between starts.
import { randomBytes } from 'node:crypto';
import type { ToolFunctionJson } from '@maas/db';
import { newId } from '../../core/ids.js';
import { CURRENCY, decimalToNano } from '../../core/money.js';
import type { Platform } from '../../core/platform.js';
import { encryptSecret } from '../../providers/secrets.js';
import { DEMO_CALCULATOR_PATH } from './calculator.js';
import { DEMO_CLOCK_PATH } from './clock-mcp.js';

const CALCULATOR_FUNCTIONS: ToolFunctionJson[] = [
  {
    name: 'calculate',
    description: 'Evaluates an arithmetic expression: numbers, + - * / % ^ and parentheses.',
    parameters: {
      type: 'object',
      properties: { expression: { type: 'string', description: 'e.g. 2+3*4' } },
      required: ['expression'],
      additionalProperties: false,
    },
  },
];

// As the clock's tools/list reports them (tools/demo/clock-mcp.ts).
const CLOCK_FUNCTIONS: ToolFunctionJson[] = [
  {
    name: 'now',
    description: 'The current date and time in a time zone (IANA name, default UTC).',
    parameters: { type: 'object', properties: { timezone: { type: 'string', description: 'IANA time zone, e.g. Asia/Shanghai' } } },
  },
  {
    name: 'convert_timezone',
    description: 'Converts an ISO 8601 date-time (with its offset, e.g. 2026-01-01T09:00:00Z) to another time zone.',
    parameters: {
      type: 'object',
      properties: {
        time: { type: 'string', description: 'ISO 8601 date-time with an offset or Z' },
        to: { type: 'string', description: 'IANA time zone to convert to' },
      },
      required: ['time', 'to'],
    },
  },
];

const RUNNABLE_DEMO_TOOLS = [
  {
    name: 'Calculator',
    description: '计算器（演示）：在对话中精确计算算术表达式，由平台自身提供的 http 工具，离线可用',
    full_description: '应用挂载后，模型可以调用 `calculate` 计算表达式（加减乘除、取余、乘方、括号）。每次调用按次计费，作者获得收入。',
    category: 'productivity',
    kind: 'http' as const,
    path: DEMO_CALCULATOR_PATH,
    pricePerCall: '0.001',
    functions: CALCULATOR_FUNCTIONS,
  },
  {
    name: 'Clock',
    description: '时钟（演示）：查询任意时区的当前时间、换算时区，由平台自身的 MCP 服务器提供，离线可用',
    full_description: '一个 MCP 工具：`now` 返回某时区的当前时间，`convert_timezone` 把时间换算到另一个时区。免费。',
    category: 'productivity',
    kind: 'mcp' as const,
    path: DEMO_CLOCK_PATH,
    pricePerCall: '0',
    functions: CLOCK_FUNCTIONS,
  },
];

/** Idempotent: creates the two tools (version 1.0.0) once, and points them at the current public URL at every start. */
export async function seedRunnableDemoTools(platform: Platform, authorId: string): Promise<void> {
  const origin = platform.config.publicUrl;
  for (const tool of RUNNABLE_DEMO_TOOLS) {
    const url = `${origin}${tool.path}`;
    const target = tool.kind === 'http' ? { endpoint_url: url, server_url: null } : { endpoint_url: null, server_url: url };
    const existing = await platform.db
      .selectFrom('tools')
      .select('id')
      .where('author_id', '=', authorId)
      .where('name', '=', tool.name)
      .executeTakeFirst();
    if (existing) {
      await platform.db.updateTable('tool_versions').set(target).where('tool_id', '=', existing.id).execute();
      continue;
    }
    const id = newId('tool');
    await platform.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('tools')
        .values({
          id,
          author_id: authorId,
          name: tool.name,
          description: tool.description,
          full_description: tool.full_description,
          category: tool.category,
          version: '1.0.0',
          price_nano: 0n,
          currency: CURRENCY,
          status: 'published',
          kind: tool.kind,
          price_per_call_nano: decimalToNano(tool.pricePerCall),
          signing_secret_enc: encryptSecret(platform.config, `whsec_${randomBytes(24).toString('base64url')}`, id),
        })
        .execute();
      await trx
        .insertInto('tool_versions')
        .values({ tool_id: id, version: '1.0.0', kind: tool.kind, ...target, functions: JSON.stringify(tool.functions) })
        .execute();
    });
  }
}
