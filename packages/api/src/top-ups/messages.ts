import type { MessageCatalog } from '../core/message-catalog.js';

export const topUpsMessages = {
  TOP_UP_NOT_FOUND: { 'zh-CN': '充值记录不存在', en: 'Top-up not found' },
  TOP_UP_SANDBOX_DISABLED: {
    'zh-CN': '沙盒支付在此环境中已关闭（MAAS_PAYMENT_SANDBOX）',
    en: 'Sandbox payments are turned off here (MAAS_PAYMENT_SANDBOX)',
  },
  TOP_UP_PROVIDER_NOT_CONFIGURED: {
    'zh-CN': '支付方式 {provider} 未配置',
    en: 'The payment provider {provider} is not configured',
  },
  TOP_UP_AMOUNT_PRECISION: {
    'zh-CN': '{provider} 只接受最多 2 位小数的金额',
    en: '{provider} takes amounts with at most 2 decimals',
  },
  TOP_UP_IDEMPOTENCY_KEY_INVALID: {
    'zh-CN': 'Idempotency-Key 须为 1–255 个可见 ASCII 字符',
    en: 'Idempotency-Key must be 1–255 visible ASCII characters',
  },
  TOP_UP_IDEMPOTENCY_KEY_REUSED: {
    'zh-CN': '该 Idempotency-Key 已用于另一笔不同的充值',
    en: 'This Idempotency-Key was already used for a different top-up',
  },
  TOP_UP_PROVIDER_ERROR: {
    'zh-CN': '支付服务暂时无法创建付款，请稍后重试',
    en: 'The payment provider could not start the payment; try again later',
  },
  WEBHOOK_SIGNATURE_INVALID: { 'zh-CN': 'Webhook 签名无效', en: 'Invalid webhook signature' },
  WEBHOOK_NOT_CONFIGURED: { 'zh-CN': '该 Webhook 未配置', en: 'This webhook is not configured' },
  REDEMPTION_CODE_INVALID: {
    'zh-CN': '兑换码无效或已被使用',
    en: 'This redemption code is not valid or has already been used',
  },
  REDEMPTION_CODE_EXPIRED: { 'zh-CN': '兑换码已过期', en: 'This redemption code has expired' },
  REDEMPTION_CODE_ALREADY_REDEEMED: { 'zh-CN': '你已兑换过该兑换码', en: 'You have already redeemed this code' },
  REDEMPTION_EXPIRY_PAST: { 'zh-CN': 'expires_at 必须晚于当前时间', en: 'expires_at must be in the future' },
  TOO_MANY_REDEMPTION_ATTEMPTS: {
    'zh-CN': '兑换失败次数过多，请稍后再试',
    en: 'Too many failed redemption attempts; try again later',
  },
} satisfies MessageCatalog;
