import type { MessageCatalog } from '../core/message-catalog.js';

export const apiKeysMessages = {
  API_KEY_INVALID: { 'zh-CN': 'API 密钥无效或已被撤销', en: 'The API key is invalid or has been revoked' },
  API_KEY_EXPIRED: { 'zh-CN': 'API 密钥已过期', en: 'The API key has expired' },
  API_KEY_NOT_FOUND: { 'zh-CN': 'API 密钥不存在', en: 'API key not found' },
  API_KEY_EXPIRY_IN_PAST: { 'zh-CN': '过期时间必须晚于当前时间', en: 'expires_at must be in the future' },
  API_KEY_MANAGEMENT_NEEDS_SIGN_IN: {
    'zh-CN': 'API 密钥不能用于管理 API 密钥，请使用登录令牌',
    en: 'API keys cannot manage API keys; use a sign-in access token',
  },
} satisfies MessageCatalog;
