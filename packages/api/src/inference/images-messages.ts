import type { MessageCatalog } from '../core/message-catalog.js';

// Messages of the image operations (issue 14): their surface, call path and adapters.
export const imagesMessages = {
  IMAGES_REQUEST_INVALID: { 'zh-CN': '请求无效（{field}）：{reason}', en: 'Invalid request ({field}): {reason}' },
  IMAGE_SIZE_UNSUPPORTED: {
    'zh-CN': '不支持的图像尺寸 {size}：请使用 宽x高，每边 1 到 {max} 像素',
    en: 'Unsupported image size {size}: use WIDTHxHEIGHT with each side from 1 to {max} pixels',
  },
  APP_MEDIA_REPLY_IMAGE: {
    'zh-CN': '已根据你的描述生成 {count} 张 {size} 的 PNG 图像：{prompt}',
    en: 'Generated {count} PNG image(s) of {size} from your description: {prompt}',
  },
  APP_MEDIA_REPLY_SPEECH: {
    'zh-CN': '已将你的消息（{characters} 个字符）朗读为 {seconds} 秒的 WAV 音频',
    en: 'Read your message ({characters} characters) aloud as {seconds} s of WAV audio',
  },
  APP_MEDIA_REPLY_VIDEO: {
    'zh-CN': '已根据你的描述生成一段 {seconds} 秒、{size} 的视频',
    en: 'Made a {seconds} s video of {size} from your description',
  },
} satisfies MessageCatalog;
