import { sql } from 'kysely';
import { openWallet } from '../billing/wallet.js';
import { uniqueViolation } from '../core/db-errors.js';
import { newId } from '../core/ids.js';
import { decimalToNano } from '../core/money.js';
import type { Platform } from '../core/platform.js';
import { DEMO_ECHO_BASE_URL } from '../providers/base-url.js';
import { operationsColumn } from './operations.js';

export const SYSTEM_USERNAME = 'maas_system';
const DEMO_PROVIDER_NAME = 'demo-echo';

/** Not an argon2 hash, so no password ever verifies against it: the system account cannot sign in. */
const UNUSABLE_PASSWORD_HASH = '!system-account-without-password';

/**
 * Who owns the platform's own catalogue (demo models, MAAS_PROVIDERS models): the `maas_system`
 * account if it exists, else the first admin, else a newly created `maas_system` that cannot sign in.
 */
export async function ensureSystemOwner(platform: Platform): Promise<string> {
  const { db } = platform;
  const findSystem = () =>
    db
      .selectFrom('users')
      .select('id')
      .where(sql`lower(username)`, '=', SYSTEM_USERNAME)
      .executeTakeFirst();
  const system = await findSystem();
  if (system) return system.id;
  const admin = await db
    .selectFrom('users')
    .select('id')
    .where('role', '=', 'admin')
    .where('disabled_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .executeTakeFirst();
  if (admin) return admin.id;
  try {
    return await db.transaction().execute(async (trx) => {
      const id = newId('user');
      await trx
        .insertInto('users')
        .values({
          id,
          username: SYSTEM_USERNAME,
          email: `${SYSTEM_USERNAME}@system.maas.invalid`,
          password_hash: UNUSABLE_PASSWORD_HASH,
          role: 'developer',
        })
        .execute();
      await openWallet(trx, id, 0n);
      return id;
    });
  } catch (error) {
    // Two instances starting together: the other one created it.
    const created = uniqueViolation(error) !== null ? await findSystem() : undefined;
    if (created) return created.id;
    throw error;
  }
}

const DEMO_MODELS = [
  {
    name: 'demo-chat',
    description: '演示用对话模型（demo）：由内置的 demo-echo 提供方回显你的消息，不调用真实大模型，用来体验应用、对话、计费与流式输出。',
    category: 'text',
    input: '0.000001',
    output: '0.000002',
    contextWindow: 8_192,
    parameters: { max_tokens: 1_024, temperature: 0.7, top_p: 0.9 },
  },
  {
    name: 'demo-chat-pro',
    description: '演示用“专业版”对话模型（demo）：同样由 demo-echo 回显，上下文更长、价格更高，用来比较定价。',
    category: 'text',
    input: '0.00003',
    output: '0.00006',
    contextWindow: 32_768,
    parameters: { max_tokens: 4_096, temperature: 0.7, top_p: 0.9 },
  },
  {
    name: 'demo-image-sketch',
    description:
      '演示用图像模型（demo）：由 demo-echo 离线根据提示词画出确定性的 PNG（遵守 size），用 /v1/images/generations 与 /v1/images/edits 调用，按张计费；应用对话里回复生成的图片。',
    category: 'image',
    // Per image; an hd 1024x1024 image costs more, so the reservation holds n × the dearer price.
    unitPrices: { per_image: '10000000', per_image_by: [{ size: '1024x1024', quality: 'hd', price: '20000000' }] },
    input: '0.00002',
    output: '0.00004',
    contextWindow: 4_096,
    parameters: { max_tokens: 512 },
  },
  {
    name: 'demo-voice',
    description:
      '演示用语音模型（demo）：由 demo-echo 离线工作。/v1/audio/speech 把文字编码成音调序列，输出真实的 WAV、MP3 或 PCM（每个字符 60 毫秒 ÷ speed），按每千字符计费；/v1/audio/transcriptions 读取 WAV 或 MP3，能把它自己说出的音频还原成原文，按分钟计费。',
    category: 'audio',
    // OpenAI's tts-1 and whisper-1 prices: speech per 1 000 characters, transcription per minute.
    unitPrices: { per_1k_characters: '15000000', per_minute: '6000000' },
    input: '0.000005',
    output: '0.00001',
    contextWindow: 4_096,
    parameters: { max_tokens: 512 },
  },
  {
    name: 'demo-embed',
    description:
      '演示用向量模型（demo）：由 demo-echo 离线生成确定性的文本向量（字符 n-gram 哈希，L2 归一化），用 /v1/embeddings 调用，按输入 token 计费。',
    category: 'text',
    operations: ['embeddings'],
    input: '0.0000001',
    output: '0',
    contextWindow: 8_192,
    parameters: {},
  },
  {
    name: 'demo-video',
    description:
      '演示用视频模型（demo）：由 demo-echo 离线生成确定性的短视频（MJPEG/AVI，按提示词着色的动画），用 /v1/videos 异步任务调用，按秒计费。',
    category: 'video',
    input: '0',
    output: '0',
    unitPrices: { per_second: '10000000' },
    contextWindow: 4_096,
    parameters: {},
  },
] as const;

/**
 * Demo data for a first start: the built-in `demo-echo` provider and a few priced public models
 * routed to it. Seeded once, in one transaction, when the provider is created; after that an admin's
 * edits and deletions are left alone at every restart.
 */
export async function seedDemoCatalog(platform: Platform): Promise<void> {
  const ownerId = await ensureSystemOwner(platform);
  const seeded = await platform.db.transaction().execute(async (trx) => {
    const provider = await trx
      .insertInto('providers')
      .values({
        id: newId('prov'),
        name: DEMO_PROVIDER_NAME,
        kind: 'demo-echo',
        base_url: DEMO_ECHO_BASE_URL,
        api_key_encrypted: null,
        timeout_ms: 30_000,
        priority: 100,
        weight: 1,
        enabled: true,
        created_by: ownerId,
      })
      .onConflict((oc) => oc.expression(sql`lower(name)`).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!provider) return false;
    const models = await trx
      .insertInto('models')
      .values(
        DEMO_MODELS.map((model) => ({
          id: newId('model'),
          owner_id: ownerId,
          name: model.name,
          description: model.description,
          category: model.category,
          operations: 'operations' in model ? operationsColumn(model.operations) : null,
          unit_prices: 'unitPrices' in model ? JSON.stringify(model.unitPrices) : null,
          version: 'demo-1.0',
          status: 'active' as const,
          visibility: 'public' as const,
          parameters: JSON.stringify(model.parameters),
          input_nano_per_token: decimalToNano(model.input),
          output_nano_per_token: decimalToNano(model.output),
          context_window: model.contextWindow,
        })),
      )
      .onConflict((oc) => oc.expression(sql`lower(name)`).doNothing())
      .returning(['id', 'name'])
      .execute();
    if (models.length > 0) {
      await trx
        .insertInto('model_routes')
        .values(
          models.map((model) => ({
            model_id: model.id,
            provider_id: provider.id,
            upstream_model: model.name,
            priority: null,
            weight: null,
          })),
        )
        .execute();
    }
    return true;
  });
  if (seeded) platform.catalog.markChanged();
}
