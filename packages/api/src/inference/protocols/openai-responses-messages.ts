import type { MessageCatalog } from '../../core/message-catalog.js';

export const openAiResponsesMessages = {
  RESPONSES_REQUEST_INVALID: { 'zh-CN': '请求参数无效：{field} {reason}', en: 'Invalid request: {field} {reason}' },
  RESPONSES_STORE_UNSUPPORTED: {
    'zh-CN': '{field}：本平台不保存响应（相当于 store: false），请在 input 中发送完整的对话',
    en: '{field}: this platform does not store responses (store: false semantics); send the whole conversation in `input`',
  },
} satisfies MessageCatalog;
