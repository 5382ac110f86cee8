import type { MessageCatalog } from '../core/message-catalog.js';

export const applicationsMessages = {
  APP_NOT_FOUND: { 'zh-CN': '应用不存在', en: 'Application not found' },
  APP_STOPPED: {
    'zh-CN': '应用已停止（stopped），请先将其状态改为 running',
    en: 'The application is stopped; set its status to running first',
  },
  APPS_ALL_ADMIN_ONLY: { 'zh-CN': '只有管理员可以查看所有用户的应用', en: "Only admins can list every user's applications" },
} satisfies MessageCatalog;
