import { describe, expect, it } from 'vitest';
import { PROVIDER_KINDS } from '../../../../packages/db/src/provider-kinds.js';
import { ApplicationStatus } from '../../../../packages/api/src/applications/schemas.js';
import { LedgerKind, UsageStatus } from '../../../../packages/api/src/billing/schemas.js';
import { PostCategory } from '../../../../packages/api/src/community/schemas.js';
import { ModelCategory, ModelStatus, ModelVisibility } from '../../../../packages/api/src/models/schemas.js';
import { ToolCallStatus as ChatToolCallStatus } from '../../../../packages/api/src/chat/schemas.js';
import { PaymentMethod, ToolKind, ToolStatus } from '../../../../packages/api/src/tools/schemas.js';
import { ToolCall, ToolCallStatus } from '../../../../packages/api/src/tools/usage-schemas.js';
import { TopUpProvider, TopUpStatus } from '../../../../packages/api/src/top-ups/schemas.js';
import { Role } from '../../../../packages/api/src/users/schemas.js';
import { ENUMS, enumLabel, type EnumGroup } from '../../src/enums.js';
import { dictionaries, LOCALES, type MessageKey, translate } from '../../src/i18n.js';

// The API's own enums: a value added there and not here (or not translated) fails this test.
const API_ENUMS: Partial<Record<EnumGroup, readonly string[]>> = {
  role: Role.options,
  modelCategory: ModelCategory.options,
  modelStatus: ModelStatus.options,
  visibility: ModelVisibility.options,
  appStatus: ApplicationStatus.options,
  ledgerKind: LedgerKind.options,
  usageStatus: UsageStatus.options,
  postCategory: PostCategory.options,
  toolStatus: ToolStatus.options,
  paymentMethod: PaymentMethod.options,
  providerKind: PROVIDER_KINDS,
  topUpStatus: TopUpStatus.options,
  topUpProvider: TopUpProvider.options,
  toolKind: ToolKind.options,
  toolCallStatus: [...ToolCallStatus.options, ...ChatToolCallStatus.options],
  toolCallVia: ToolCall.shape.via.options,
};

describe('enum labels', () => {
  it("lists every value of the API's enums", () => {
    for (const [group, values] of Object.entries(API_ENUMS)) {
      expect(ENUMS[group as EnumGroup], group).toEqual(expect.arrayContaining([...values]));
    }
  });

  it('translates every enum value the dashboard shows in every language, never as the raw value', () => {
    for (const [group, values] of Object.entries(ENUMS)) {
      for (const value of values) {
        const key = `enum.${group}.${value}`;
        for (const locale of LOCALES) {
          const label = (dictionaries[locale] as Record<string, string>)[key];
          expect(label, `${locale} ${key}`).toBeTruthy();
        }
        // zh must not fall back to the wire value (brand names aside).
        if (!['providerKind'].includes(group)) expect(dictionaries['zh-CN'][key as MessageKey], key).not.toBe(value);
      }
    }
  });

  it('has no enum label that no enum uses', () => {
    const used = new Set(Object.entries(ENUMS).flatMap(([group, values]) => values.map((v) => `enum.${group}.${v}`)));
    const defined = Object.keys(dictionaries.en).filter((key) => key.startsWith('enum.'));
    expect(defined.filter((key) => !used.has(key))).toEqual([]);
  });

  it('labels known values and shows an unknown one as written', () => {
    const t = (key: MessageKey) => translate('zh-CN', key);
    expect(enumLabel(t, 'ledgerKind', 'signup_credit')).toBe('注册赠送');
    expect(enumLabel(t, 'modelCategory', 'text')).toBe('文本');
    expect(enumLabel(t, 'toolCategory', 'my-own-category')).toBe('my-own-category');
    expect(enumLabel(t, 'role', null)).toBe('—');
  });
});
