import type { MessageCatalog } from '../core/message-catalog.js';

// Messages of the media operations (issue 14): shared by their surfaces and adapters.
export const inferenceMessages = {
  QUANTITY_OUT_OF_RANGE: { 'zh-CN': '{field} 必须是 1 到 {max} 之间的整数', en: '{field} must be an integer from 1 to {max}' },
  MEDIA_RESULT_MISMATCH: {
    'zh-CN': '上游返回的结果与请求不符：{reason}',
    en: 'The provider answered something other than what was asked: {reason}',
  },
  MEDIA_FORM_NOT_MULTIPART: {
    'zh-CN': '请使用 multipart/form-data 提交（文件与字段）',
    en: 'Send this request as multipart/form-data (the file(s) and fields)',
  },
  MEDIA_FORM_UNKNOWN_FILE: { 'zh-CN': '不接受名为 {field} 的文件', en: 'No file is expected in the part named {field}' },
  MEDIA_FORM_TOO_MANY_FILES: { 'zh-CN': '{field} 最多 {max} 个文件', en: 'At most {max} file(s) in {field}' },
  MEDIA_FORM_FILE_MISSING: { 'zh-CN': '缺少文件 {field}', en: 'The file {field} is missing' },
  MEDIA_FORM_WRONG_TYPE: {
    'zh-CN': '{field} 的类型 {type} 不受支持，可用：{accepted}',
    en: 'The file {field} is {type}; accepted: {accepted}',
  },
  MEDIA_FILE_TOO_LARGE: {
    'zh-CN': '文件 {field} 超过 {max_bytes} 字节上限',
    en: 'The file {field} exceeds the limit of {max_bytes} bytes',
  },
} satisfies MessageCatalog;
