import type { MessageCatalog } from '../core/message-catalog.js';

// Keys share one catalog with every domain, hence the POST_ / COMMENT_ prefixes.
export const communityMessages = {
  POST_NOT_FOUND: { 'zh-CN': '帖子不存在', en: 'Post not found' },
  POST_NOT_AUTHOR: { 'zh-CN': '只有帖子作者或管理员可以修改该帖子', en: 'Only the author or an admin can change this post' },
  COMMENT_NOT_FOUND: { 'zh-CN': '评论不存在', en: 'Comment not found' },
  COMMENT_DELETE_FORBIDDEN: {
    'zh-CN': '只有评论作者、帖子作者或管理员可以删除该评论',
    en: 'Only the comment author, the post author or an admin can delete this comment',
  },
} satisfies MessageCatalog;
