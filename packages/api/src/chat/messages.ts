import type { MessageCatalog } from '../core/message-catalog.js';

export const chatMessages = {
  INSUFFICIENT_BALANCE_FOR_CALL: {
    'zh-CN': '余额不足以支付本次模型调用的最大费用',
    en: 'Your available balance does not cover the maximum cost of this model call',
  },
  MODEL_NOT_ALLOWED_FOR_KEY: { 'zh-CN': '该 API 密钥无权调用模型 {model}', en: 'This API key may not call model {model}' },
  UPSTREAM_REJECTED_REQUEST: { 'zh-CN': '上游模型拒绝了请求：{reason}', en: 'The upstream model rejected the request: {reason}' },
  CONVERSATION_NOT_FOUND: { 'zh-CN': '会话不存在', en: 'Conversation not found' },
  STREAM_INTERRUPTED: { 'zh-CN': '模型输出中断', en: 'The model stream was interrupted' },
  MESSAGE_TOO_LONG_FOR_MODEL: {
    'zh-CN': '消息过长，超出了模型的上下文窗口',
    en: "The message does not fit in the model's context window",
  },
  CONTENT_PART_NOT_SUPPORTED: {
    'zh-CN': '模型 {model} 的上游不支持 {part} 类型的内容（{field}）',
    en: "Model {model}'s upstream cannot take {part} content ({field})",
  },
  TOOLS_NOT_SUPPORTED: { 'zh-CN': '模型 {model} 的上游不支持工具调用', en: "Model {model}'s upstream does not support tools" },
  EMBEDDINGS_INPUT_TOO_LONG: {
    'zh-CN': '第 {index} 条输入有 {tokens} 个 token，超过了模型 {model} 的上限 {limit}',
    en: 'Input {index} has {tokens} tokens, more than model {model} takes ({limit})',
  },
  EMBEDDINGS_COUNT_MISMATCH: {
    'zh-CN': '上游返回的向量数与输入数不一致',
    en: 'The upstream answered a different number of vectors than inputs',
  },
  EMBEDDINGS_REQUEST_INVALID: { 'zh-CN': '请求无效（{field}）：{reason}', en: 'Invalid request ({field}): {reason}' },
  CHAT_REQUEST_INVALID: { 'zh-CN': '请求无效（{field}）：{reason}', en: 'Invalid request ({field}): {reason}' },
} satisfies MessageCatalog;
