import type { MessageCatalog } from '../core/message-catalog.js';

export const billingMessages = {
  WALLET_NOT_FOUND: { 'zh-CN': '用户或钱包不存在', en: 'User or wallet not found' },
  INSUFFICIENT_AVAILABLE_BALANCE: {
    'zh-CN': '可用余额不足（可用 {available}）',
    en: 'The available balance ({available}) does not cover this amount',
  },
  USAGE_RANGE_INVALID: { 'zh-CN': '时间范围无效：from 必须早于 to', en: 'Invalid range: from must be before to' },
} satisfies MessageCatalog;
