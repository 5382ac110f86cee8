import type { MessageCatalog } from '../core/message-catalog.js';

export const usersMessages = {
  WRONG_CURRENT_PASSWORD: { 'zh-CN': '当前密码不正确', en: 'The current password is wrong' },
  CANNOT_CHANGE_OWN_ROLE: { 'zh-CN': '不能修改自己的角色或禁用自己', en: 'You cannot change your own role or disable yourself' },
} satisfies MessageCatalog;
