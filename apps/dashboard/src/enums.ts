import type { MessageKey } from './i18n.js';

/**
 * Every enum value the dashboard shows, by group. Labels are `enum.<group>.<value>` in both
 * dictionaries (src/i18n/enums.ts); test/unit/enums.test.ts checks that each of the API's enums is
 * listed here and translated in every language.
 */
export const ENUMS = {
  role: ['user', 'developer', 'admin'],
  modelCategory: ['text', 'image', 'audio', 'video'],
  modelStatus: ['active', 'inactive', 'deprecated'],
  visibility: ['public', 'private'],
  deployState: ['deploying', 'active', 'failed'],
  appStatus: ['running', 'stopped'],
  keyStatus: ['active', 'expired'],
  ledgerKind: [
    'signup_credit',
    'admin_credit',
    'admin_debit',
    'model_usage',
    'tool_purchase',
    'tool_sale',
    'model_revenue',
    'tool_call',
    'tool_revenue',
    'top_up',
    'redemption',
  ],
  usageStatus: ['success', 'failed', 'cancelled', 'partial'],
  postCategory: ['discussion', 'showcase', 'question', 'announcement', 'tutorial'],
  toolCategory: ['development', 'writing', 'data', 'productivity'],
  toolStatus: ['draft', 'published', 'unlisted'],
  orderStatus: ['pending', 'completed', 'failed'],
  paymentMethod: ['balance', 'credit_card', 'alipay', 'wechat_pay'],
  providerKind: ['openai-compatible', 'demo-echo', 'anthropic', 'gemini', 'ollama'],
  priceUnit: ['image', 'second', '1k_characters', 'minute'],
  topUpStatus: ['pending', 'completed', 'failed', 'expired', 'cancelled'],
  topUpProvider: ['sandbox', 'stripe'],
  toolKind: ['http', 'mcp'],
  toolCallStatus: ['success', 'error', 'timeout', 'invalid_arguments', 'refused', 'insufficient_funds'],
  toolCallVia: ['app', 'mcp'],
  auditAction: [
    'adminUsers.update',
    'billing.adminCredit',
    'billing.adminDebit',
    'providers.create',
    'providers.update',
    'providers.delete',
    'community.hidePost',
    'community.unhidePost',
    'community.hideComment',
    'community.unhideComment',
    'billing.mintRedemptionCodes',
    'topUps.mintCodes',
    'providers.test',
    // Money movements, audited by the database's ledger trigger as wallet.<ledger kind>.
    'wallet.signup_credit',
    'wallet.admin_credit',
    'wallet.admin_debit',
    'wallet.model_usage',
    'wallet.tool_purchase',
    'wallet.tool_sale',
    'wallet.top_up',
    'wallet.redemption',
    'wallet.model_revenue',
    'wallet.tool_call',
    'wallet.tool_revenue',
  ],
  auditTarget: ['user', 'provider', 'model', 'post', 'comment', 'tool', 'app', 'file', 'key', 'wallet'],
} as const;

export type EnumGroup = keyof typeof ENUMS;

/** The enum value's label in the UI language; a value the dashboard does not know yet shows as written. */
export function enumLabel(t: (key: MessageKey) => string, group: EnumGroup, value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const key = `enum.${group}.${value}` as MessageKey;
  const label = t(key);
  return label === undefined || label === key ? value : label;
}
