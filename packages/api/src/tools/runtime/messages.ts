import type { MessageCatalog } from '../../core/message-catalog.js';

// The tool runner's messages (issue 16 parts 3 and 5); the TOOL_ prefix as in tools/messages.ts.
export const toolRuntimeMessages = {
  TOOL_USAGE_NOT_AUTHOR: {
    'zh-CN': '只有工具作者或管理员可以查看该工具的调用记录',
    en: "Only the author or an admin can see this tool's calls",
  },
  TOOL_USAGE_RANGE_INVALID: { 'zh-CN': '时间范围无效：since 必须早于 until', en: 'Invalid range: since must be before until' },
} satisfies MessageCatalog;
