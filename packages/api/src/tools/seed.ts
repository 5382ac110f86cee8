import type { UserRole } from '@maas/db';
import { sql } from 'kysely';
import { openWallet } from '../billing/wallet.js';
import { uniqueViolation } from '../core/db-errors.js';
import { newId } from '../core/ids.js';
import { CURRENCY, decimalToNano } from '../core/money.js';
import type { Platform } from '../core/platform.js';
import { seedRunnableDemoTools } from './demo/seed.js';

export const DEMO_AUTHOR_USERNAME = 'demo_author';

/** Not an argon2 hash, so no password ever verifies against it: demo accounts cannot sign in. */
const UNUSABLE_PASSWORD_HASH = '!demo-account-without-password';

/** Finds a demo account by username, or creates it (with an empty wallet) when missing. */
export async function ensureDemoUser(platform: Platform, username: string, role: UserRole): Promise<string> {
  const find = () =>
    platform.db
      .selectFrom('users')
      .select('id')
      .where(sql`lower(username)`, '=', username.toLowerCase())
      .executeTakeFirst();
  const existing = await find();
  if (existing) return existing.id;
  try {
    return await platform.db.transaction().execute(async (trx) => {
      const id = newId('user');
      await trx
        .insertInto('users')
        .values({ id, username, email: `${username}@demo.maas.invalid`, password_hash: UNUSABLE_PASSWORD_HASH, role })
        .execute();
      await openWallet(trx, id, 0n);
      return id;
    });
  } catch (error) {
    // Two instances starting together: the other one created it.
    const created = uniqueViolation(error) !== null ? await find() : undefined;
    if (created) return created.id;
    throw error;
  }
}

const DEMO_TOOLS = [
  {
    name: 'AI 代码生成器',
    description: '根据自然语言描述生成代码片段，支持 TypeScript、Python 和 Go',
    full_description:
      '描述你想要的函数或组件，工具会调用平台上的大模型生成代码，并附带单元测试示例。\n\n- 支持多种语言\n- 可指定代码风格\n- 自动补全类型注解',
    category: 'development',
    price: '9.99',
  },
  {
    name: 'Prompt 模板库',
    description: '覆盖写作、翻译、客服等场景的 200+ 条提示词模板',
    full_description: '精选的提示词模板，按场景分类，一键复制到你的应用的 system prompt 中。',
    category: 'writing',
    price: '0',
  },
  {
    name: '数据清洗助手',
    description: '用大模型识别并修复 CSV 中的脏数据',
    full_description: '上传 CSV，助手会找出格式不一致、缺失值和重复行，并给出修复建议。',
    category: 'data',
    price: '19.9',
  },
  {
    name: 'Markdown 转演示文稿',
    description: '把 Markdown 大纲变成可直接演示的幻灯片',
    full_description: '以二级标题分页，自动排版代码块与列表，导出为 HTML 幻灯片。',
    category: 'productivity',
    price: '0',
  },
] as const;

/** Idempotent demo data for a first start: a few free and priced tools by `demo_author`. */
export async function seedDemoMarketplace(platform: Platform): Promise<void> {
  const authorId = await ensureDemoUser(platform, DEMO_AUTHOR_USERNAME, 'developer');
  await seedRunnableDemoTools(platform, authorId);
  const marker = DEMO_TOOLS[0].name;
  const seeded = await platform.db
    .selectFrom('tools')
    .select('id')
    .where('author_id', '=', authorId)
    .where('name', '=', marker)
    .executeTakeFirst();
  if (seeded) return;
  await platform.db
    .insertInto('tools')
    .values(
      DEMO_TOOLS.map((tool) => ({
        id: newId('tool'),
        author_id: authorId,
        name: tool.name,
        description: tool.description,
        full_description: tool.full_description,
        category: tool.category,
        version: '1.0.0',
        price_nano: decimalToNano(tool.price),
        currency: CURRENCY,
        status: 'published' as const,
      })),
    )
    .execute();
}
