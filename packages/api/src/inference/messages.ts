import type { MessageCatalog } from '../core/message-catalog.js';

// Messages of the media operations (issue 14): shared by their surfaces and adapters.
export const inferenceMessages = {
  QUANTITY_OUT_OF_RANGE: { 'zh-CN': '{field} 必须是 1 到 {max} 之间的整数', en: '{field} must be an integer from 1 to {max}' },
  MEDIA_RESULT_MISMATCH: {
    'zh-CN': '上游返回的结果与请求不符：{reason}',
    en: 'The provider answered something other than what was asked: {reason}',
  },
} satisfies MessageCatalog;
