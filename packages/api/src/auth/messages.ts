import type { MessageCatalog } from '../core/message-catalog.js';

export const authMessages = {
  INVALID_CREDENTIALS: { 'zh-CN': '用户名或密码错误', en: 'Invalid username or password' },
  TOKEN_INVALID: { 'zh-CN': '访问令牌无效或已过期', en: 'The access token is invalid or expired' },
  REFRESH_TOKEN_INVALID: { 'zh-CN': '刷新令牌无效或已过期', en: 'The refresh token is invalid or expired' },
  SESSION_REVOKED: { 'zh-CN': '会话已失效，请重新登录', en: 'The session has ended; please sign in again' },
  ACCOUNT_DISABLED: { 'zh-CN': '账号已被禁用', en: 'This account is disabled' },
  USERNAME_TAKEN: { 'zh-CN': '用户名已被占用', en: 'The username is already taken' },
  EMAIL_TAKEN: { 'zh-CN': '邮箱已被注册', en: 'The email is already registered' },
  ROLE_REQUIRED: { 'zh-CN': '当前角色无权执行此操作', en: 'Your role does not allow this action' },
  TOO_MANY_LOGIN_ATTEMPTS: {
    'zh-CN': '登录尝试次数过多，请稍后再试',
    en: 'Too many sign-in attempts; try again later',
  },
} satisfies MessageCatalog;
