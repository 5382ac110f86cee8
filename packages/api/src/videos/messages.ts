import type { MessageCatalog } from '../core/message-catalog.js';

// Video generation jobs (issue 14): /v1/videos.
export const videosMessages = {
  VIDEO_NOT_FOUND: { 'zh-CN': '视频任务不存在', en: 'Video not found' },
  VIDEO_PROMPT_REQUIRED: { 'zh-CN': '缺少 prompt（要生成的视频描述）', en: 'prompt is required: describe the video to generate' },
  VIDEO_MODEL_REQUIRED: { 'zh-CN': '缺少 model', en: 'model is required' },
  VIDEO_SIZE_INVALID: {
    'zh-CN': 'size 必须形如 宽x高（如 1280x720），每边 16 到 4096 像素',
    en: 'size must look like WIDTHxHEIGHT (e.g. 1280x720), each side 16 to 4096 pixels',
  },
  VIDEO_FIELD_INVALID: { 'zh-CN': '字段 {field} 的值无效', en: 'Invalid value for {field}' },
  VIDEO_FIELD_UNKNOWN: { 'zh-CN': '不支持的字段 {field}', en: 'Unrecognized request argument supplied: {field}' },
  VIDEO_INPUT_REFERENCE_INVALID: {
    'zh-CN': 'input_reference 必须是你上传的图片：multipart 中的文件，或 {"file_id": "..."}',
    en: 'input_reference must be an image you upload: a file in the multipart form, or {"file_id": "..."}',
  },
  VIDEO_INPUT_REFERENCE_TYPE: {
    'zh-CN': 'input_reference 必须是 JPEG、PNG 或 WebP 图片，且不超过 {max_mb} MB',
    en: 'input_reference must be a JPEG, PNG or WebP image of at most {max_mb} MB',
  },
  VIDEO_NOT_READY: {
    'zh-CN': '视频尚未生成完成（状态 {status}），完成后才能下载',
    en: 'The video is not ready (status {status}); its content can be downloaded once it is completed',
  },
  VIDEO_CONTENT_GONE: {
    'zh-CN': '视频文件已过保留期被删除或已被删除',
    en: 'The video file is gone: it passed its retention period or was deleted',
  },
  VIDEO_VARIANT_UNSUPPORTED: {
    'zh-CN': '不支持的 variant {variant}，只提供 video',
    en: 'variant {variant} is not available; only video is',
  },
  VIDEO_DELETE_IN_PROGRESS: {
    'zh-CN': '视频正在生成中，不能删除；完成或失败后再删除',
    en: 'The video is being generated and cannot be deleted until it completes or fails',
  },
} satisfies MessageCatalog;
