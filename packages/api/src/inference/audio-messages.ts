import type { MessageCatalog } from '../core/message-catalog.js';

// Messages of the audio operations (issue 14): speech and transcription, their surface and adapters.
export const audioMessages = {
  AUDIO_REQUEST_INVALID: { 'zh-CN': '请求无效（{field}）：{reason}', en: 'Invalid request ({field}): {reason}' },
  SPEECH_INPUT_LENGTH: { 'zh-CN': 'input 须为 1 到 {max} 个字符', en: 'input must have from 1 to {max} characters' },
  SPEECH_SPEED_RANGE: { 'zh-CN': 'speed 须在 0.25 到 4 之间', en: 'speed must be from 0.25 to 4' },
  SPEECH_FORMAT_UNSUPPORTED: {
    'zh-CN': '该模型的提供方不能输出 {format} 格式，可用：{accepted}',
    en: "This model's provider cannot answer in {format}; accepted: {accepted}",
  },
  TRANSCRIPTION_AUDIO_UNREADABLE: {
    'zh-CN': '该模型的提供方无法读取 {type} 音频，可用：{accepted}',
    en: "This model's provider cannot read {type} audio; accepted: {accepted}",
  },
} satisfies MessageCatalog;
