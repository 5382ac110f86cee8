import type { MessageCatalog } from '../core/message-catalog.js';

// Registered through models/messages.ts (files belong to the model catalogue's issue).
export const filesMessages = {
  FILE_NOT_FOUND: { 'zh-CN': '文件不存在', en: 'File not found' },
  UPLOAD_NOT_MULTIPART: {
    'zh-CN': '请使用 multipart/form-data 上传，文件放在名为 file 的字段中',
    en: 'Upload with multipart/form-data, the file in a part named "file"',
  },
  UPLOAD_FILE_MISSING: { 'zh-CN': '请求中没有文件', en: 'The request contains no file' },
  UPLOAD_INCOMPLETE: { 'zh-CN': '上传的请求体不完整，文件未能完整接收', en: 'The upload ended before the file was complete' },
  UPLOAD_TOO_LARGE: { 'zh-CN': '文件超过大小上限 {max_bytes} 字节', en: 'The file exceeds the size limit of {max_bytes} bytes' },
  MODEL_FILE_NOT_GGUF: {
    'zh-CN': '模型文件必须是 GGUF 格式：{reason}',
    en: 'A model file must be GGUF: {reason}',
  },
  MODEL_FILE_INVALID: { 'zh-CN': '模型文件的 GGUF 头部无效：{reason}', en: 'The GGUF header of the model file is invalid: {reason}' },
  MODEL_FILE_TRUNCATED: { 'zh-CN': '模型文件不完整：{reason}', en: 'The model file is truncated: {reason}' },
  UPLOAD_PURPOSE_INVALID: { 'zh-CN': 'purpose 只能是 upload 或 model', en: 'purpose must be upload or model' },
} satisfies MessageCatalog;
