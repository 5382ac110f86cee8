import type { MessageCatalog } from '../../../core/message-catalog.js';

// What a Gemini provider cannot take, said to the client as a 400 naming the part ({part} is a JSON
// path into the internal request, e.g. `messages[2].content[1]`).
export const geminiMessages = {
  GEMINI_IMAGE_URL_UNSUPPORTED: {
    'zh-CN': '{part}：Gemini 提供方不接受图片 URL，请以 base64（data: URL）内联发送图片',
    en: '{part}: a Gemini provider does not take image URLs; send the image inline as base64 (a data: URL)',
  },
  GEMINI_FILE_UNSUPPORTED: {
    'zh-CN': '{part}：Gemini 提供方只接受内联（base64）文件，不接受 URL 或文件 ID',
    en: '{part}: a Gemini provider only takes inline (base64) files, not a URL or a file id',
  },
  GEMINI_TOOL_RESULT_UNMATCHED: {
    'zh-CN': '{part}：tool_call_id "{id}" 不对应此前任何一条 assistant 消息中的工具调用',
    en: '{part}: tool_call_id "{id}" answers no tool call of an earlier assistant message',
  },
  GEMINI_TOOL_ARGUMENTS_INVALID: {
    'zh-CN': '{part}：工具调用的 arguments 不是 JSON 对象',
    en: '{part}: the tool call arguments are not a JSON object',
  },
  GEMINI_CONTENT_UNSUPPORTED: {
    'zh-CN': '{part}：Gemini 提供方在此角色的消息中只接受文本',
    en: '{part}: a Gemini provider only takes text in a message of this role',
  },
} satisfies MessageCatalog;
