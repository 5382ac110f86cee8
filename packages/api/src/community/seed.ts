import type { Actor } from '../core/context.js';
import type { Platform } from '../core/platform.js';
import { DEMO_AUTHOR_USERNAME, ensureDemoUser } from '../tools/seed.js';
import { createComment, createPost, likePost } from './service.js';

const DEMO_MEMBER_USERNAME = 'demo_member';

const DEMO_POSTS = [
  {
    title: '欢迎来到 MaaS 社区',
    content: '在这里分享你的模型、应用和工具，提问或者写教程。发帖前请先搜索是否已有类似讨论。',
    category: 'announcement',
    tags: ['welcome', 'guide'],
  },
  {
    title: '如何优化模型性能',
    content: '分享一些模型性能优化的经验：控制 max_tokens、复用会话上下文、为高频问题加缓存……',
    category: 'discussion',
    tags: ['performance', 'llm'],
  },
  {
    title: '用 AI 代码生成器十分钟搭一个客服机器人',
    content: '步骤：1. 在工具集市获取「AI 代码生成器」；2. 创建应用并设置 system prompt；3. 调用 /applications/{app_id}/chat。',
    category: 'tutorial',
    tags: ['tutorial', 'chatbot', 'tools'],
  },
] as const;

/** Idempotent demo data for a first start: a few posts with tags, likes and comments. */
export async function seedDemoCommunity(platform: Platform): Promise<void> {
  const { db } = platform;
  const authorId = await ensureDemoUser(platform, DEMO_AUTHOR_USERNAME, 'developer');
  const marker = DEMO_POSTS[0].title;
  const seeded = await db.selectFrom('posts').select('id').where('author_id', '=', authorId).where('title', '=', marker).executeTakeFirst();
  if (seeded) return;

  const memberId = await ensureDemoUser(platform, DEMO_MEMBER_USERNAME, 'user');
  const author: Actor = { userId: authorId, role: 'developer', sessionId: null, apiKeyId: null };
  const member: Actor = { userId: memberId, role: 'user', sessionId: null, apiKeyId: null };

  // Through the service, so counters are maintained exactly as for real users.
  for (const [index, post] of DEMO_POSTS.entries()) {
    const created = await createPost(db, author, { ...post, tags: [...post.tags] });
    await likePost(db, member, created.id);
    if (index > 0) await likePost(db, author, created.id);
    if (index === 1) {
      await createComment(db, member, { post_id: created.id, content: '很实用，缓存那一条帮我省了一半的调用费用。' });
      await createComment(db, author, { post_id: created.id, content: '欢迎补充你的经验！' });
    }
  }
}
