import type { MessageCatalog } from '../core/message-catalog.js';

// Keys share one catalog with every domain, hence the TOOL_ prefix.
export const toolsMessages = {
  TOOL_NOT_FOUND: { 'zh-CN': '工具不存在', en: 'Tool not found' },
  TOOL_NOT_AUTHOR: { 'zh-CN': '只有工具作者或管理员可以修改该工具', en: 'Only the author or an admin can change this tool' },
  TOOL_NOT_PURCHASABLE: { 'zh-CN': '该工具尚未发布，暂不可购买', en: 'This tool is not published and cannot be bought yet' },
  TOOL_OWN_PURCHASE: { 'zh-CN': '不能购买自己发布的工具', en: 'You cannot buy a tool you published' },
  TOOL_ALREADY_OWNED: { 'zh-CN': '你已拥有该工具', en: 'You already own this tool' },
  TOOL_PURCHASE_IN_PROGRESS: { 'zh-CN': '该工具的购买正在处理中，请稍后查看', en: 'A purchase of this tool is already in progress' },
  TOOL_IDEMPOTENCY_KEY_INVALID: {
    'zh-CN': 'Idempotency-Key 须为 1–255 个可见 ASCII 字符',
    en: 'Idempotency-Key must be 1–255 visible ASCII characters',
  },
  TOOL_IDEMPOTENCY_KEY_REUSED: {
    'zh-CN': '该 Idempotency-Key 已用于另一笔不同的购买',
    en: 'This Idempotency-Key was already used for a different purchase',
  },
  TOOL_PAYMENT_METHOD_UNAVAILABLE: {
    'zh-CN': '支付方式 {method} 未配置，请使用余额（balance）支付',
    en: 'Payment method {method} is not configured; pay with your balance ("balance")',
  },
  TOOL_PAYMENT_DECLINED: { 'zh-CN': '支付未成功，未产生任何扣款', en: 'The payment was declined; nothing was charged' },
  TOOL_PAYMENT_PROVIDER_ERROR: { 'zh-CN': '支付服务暂时不可用，请稍后重试', en: 'The payment provider failed; please retry later' },
  TOOL_REVIEW_NOT_OWNER: { 'zh-CN': '只有拥有该工具的用户可以评价', en: 'Only owners of this tool can review it' },
  TOOL_REVIEW_EXISTS: { 'zh-CN': '你已评价过该工具', en: 'You have already reviewed this tool' },
  TOOL_REVIEW_OWN_TOOL: { 'zh-CN': '不能评价自己发布的工具', en: 'You cannot review a tool you published' },
  TOOL_FIELD_INVALID: { 'zh-CN': '字段 {field} 无效：{reason}', en: 'Invalid {field}: {reason}' },
  TOOL_VERSION_EXISTS: {
    'zh-CN': '版本 {version} 已发布，已发布的版本不可更改',
    en: 'Version {version} is already published; a published version cannot change',
  },
  TOOL_NOT_CALLABLE: {
    'zh-CN': '该工具没有可调用的版本（仅为上架展示），不能挂载到应用',
    en: 'This tool has no callable version (it is a listing only) and cannot be attached',
  },
  TOOL_NOT_ENTITLED: {
    'zh-CN': '应用所有者尚未购买该工具：请先购买，或选择免费工具',
    en: "The application's owner has not bought this tool: buy it first, or attach a free tool",
  },
} satisfies MessageCatalog;
