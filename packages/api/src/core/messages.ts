import type { MessageCatalog } from './message-catalog.js';

/**
 * The messages of the error codes core itself knows. Each domain keeps its own catalog beside its
 * code (`<domain>/messages.ts`); src/messages.ts composes them all, above the domains.
 */
export const commonMessages = {
  INVALID_REQUEST: { 'zh-CN': '请求参数无效', en: 'Invalid request parameters' },
  UNAUTHORIZED: { 'zh-CN': '未授权访问', en: 'Unauthorized' },
  PAYMENT_REQUIRED: { 'zh-CN': '余额不足', en: 'Insufficient balance' },
  FORBIDDEN: { 'zh-CN': '禁止访问', en: 'Forbidden' },
  NOT_FOUND: { 'zh-CN': '资源不存在', en: 'Resource not found' },
  CONFLICT: { 'zh-CN': '资源冲突', en: 'Resource conflict' },
  PAYLOAD_TOO_LARGE: { 'zh-CN': '请求体过大', en: 'Request body too large' },
  RATE_LIMITED: { 'zh-CN': '请求频率超限', en: 'Too many requests' },
  INTERNAL_ERROR: { 'zh-CN': '服务器内部错误', en: 'Internal server error' },
  UPSTREAM_ERROR: { 'zh-CN': '上游模型服务出错', en: 'The upstream model provider failed' },
  SERVICE_UNAVAILABLE: { 'zh-CN': '服务暂时不可用，请稍后重试', en: 'Service temporarily unavailable, please retry' },
  UPSTREAM_TIMEOUT: { 'zh-CN': '上游模型服务超时', en: 'The upstream model provider timed out' },
  MALFORMED_JSON: { 'zh-CN': '请求体不是合法的 JSON', en: 'The request body is not valid JSON' },
  BODY_NOT_OBJECT: { 'zh-CN': '请求体必须是 JSON 对象', en: 'The request body must be a JSON object' },
  UNSUPPORTED_CONTENT_TYPE: {
    'zh-CN': '不支持的 Content-Type，请使用 application/json',
    en: 'Unsupported Content-Type; use application/json',
  },
  ROUTE_NOT_FOUND: { 'zh-CN': '接口不存在', en: 'No such endpoint' },
  JSON_TOO_DEEP: { 'zh-CN': '请求体嵌套过深', en: 'The request body is nested too deeply' },
  REQUEST_TIMEOUT: { 'zh-CN': '请求未在规定时间内发送完毕', en: 'The request was not received in time' },
  HEADERS_TOO_LARGE: { 'zh-CN': '请求头过大', en: 'The request headers are too large' },
  MALFORMED_HTTP: { 'zh-CN': '无法解析的 HTTP 请求', en: 'The HTTP request could not be parsed' },
} satisfies MessageCatalog;
