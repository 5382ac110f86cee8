import type { MessageCatalog } from '../core/message-catalog.js';

export const providersMessages = {
  PROVIDER_NOT_FOUND: { 'zh-CN': '模型提供方不存在', en: 'Provider not found' },
  PROVIDER_NAME_TAKEN: { 'zh-CN': '已存在同名的模型提供方', en: 'A provider with this name already exists' },
  PROVIDER_IN_USE: {
    'zh-CN': '仍有模型路由到该提供方，请先修改这些模型的路由',
    en: 'Models are still routed to this provider; change their routes first',
  },
  PROVIDER_BASE_URL_INVALID: {
    'zh-CN': 'base_url 必须是不含用户名密码的 http(s) 地址（demo-echo 为 builtin://demo-echo）',
    en: 'base_url must be an http(s) URL without credentials (builtin://demo-echo for demo-echo)',
  },
  PROVIDER_BASE_URL_UNRESOLVABLE: {
    'zh-CN': 'base_url 的主机名无法解析；请检查地址',
    en: 'the host name in base_url does not resolve; check the address',
  },
  PROVIDER_BASE_URL_PRIVATE: {
    'zh-CN': 'base_url 指向内网或本机地址；如确需如此，请设置 MAAS_ALLOW_PRIVATE_UPSTREAMS',
    en: 'base_url points at a private or loopback address; set MAAS_ALLOW_PRIVATE_UPSTREAMS to allow it',
  },
  ENCRYPTION_KEY_MISSING: {
    'zh-CN': '未配置 MAAS_ENCRYPTION_KEY，生产环境中无法保存或读取提供方的 API 密钥',
    en: 'MAAS_ENCRYPTION_KEY is not set; provider API keys cannot be stored or read in production',
  },
} satisfies MessageCatalog;
