// Issue 14 part 4: an application on a model that does not chat answers with what its model makes.
// One entry per operation: the user's message is the prompt, the media are stored as the caller's
// files, and the answer is a short text saying what was made plus the files as attachments. Speech
// and video add their own entry here; the chat service knows nothing of any of them.
import type { MessageAttachmentJson, ModelOperation } from '@maas/db';
import type { Actor } from '../core/context.js';
import { type Locale, translate } from '../core/i18n.js';
import type { Platform } from '../core/platform.js';
import type { CallOutcome } from '../inference/engine.js';
import { AppError } from '../core/errors.js';
import { storeGenerated } from '../files/service.js';
import { callImages } from '../inference/images.js';
import type { VideoResult } from '../inference/media-types.js';
import { prepareOperationCall, runOperationCall } from '../inference/operation-call.js';
import { SPEECH_MAX_INPUT_CHARACTERS, speakToFile } from '../inference/speech.js';
import { MODEL_OPERATIONS } from '../models/operations.js';

export interface MediaReplyCall {
  actor: Actor;
  appId: string;
  conversationId: string;
  /** The model's id. */
  model: string;
  /** The user's message, after the application's system prompt when it has one. */
  prompt: string;
  /** The user's message alone (what a speech model reads aloud). */
  message: string;
  locale: Locale;
  signal: AbortSignal;
  requestId: string;
}

export interface MediaReply {
  /** What was made, in the caller's language: the assistant message's text. */
  text: string;
  attachments: MessageAttachmentJson[];
  outcome: CallOutcome;
}

export type MediaReplier = (platform: Platform, call: MediaReplyCall) => Promise<MediaReply>;

/** One image at the model's default size and quality, billed per image. */
const replyWithImage: MediaReplier = async (platform, call) => {
  const result = await callImages(
    platform,
    {
      actor: call.actor,
      model: call.model,
      appId: call.appId,
      conversationId: call.conversationId,
      signal: call.signal,
      requestId: call.requestId,
    },
    { operation: 'image_generation', request: { prompt: call.prompt, n: 1, size: null, quality: null, style: null, outputFormat: 'png' } },
  );
  const summary = call.prompt.replace(/\s+/g, ' ').trim();
  return {
    text: translate(call.locale, 'APP_MEDIA_REPLY_IMAGE', {
      count: result.images.length,
      size: result.size,
      prompt: summary.length > 200 ? `${summary.slice(0, 199)}…` : summary,
    }),
    attachments: result.images.map((image) => ({ file_id: image.fileId, content_type: image.contentType })),
    outcome: result.outcome,
  };
};

/** The user's message read aloud (WAV, the default voice), billed as any speech call. */
const replyWithSpeech: MediaReplier = async (platform, call) => {
  const input = call.message.slice(0, SPEECH_MAX_INPUT_CHARACTERS);
  const spoken = await speakToFile(
    platform,
    {
      actor: call.actor,
      model: call.model,
      appId: call.appId,
      conversationId: call.conversationId,
      signal: call.signal,
      requestId: call.requestId,
    },
    { input, voice: 'alloy', format: 'wav', speed: 1 },
  );
  return {
    text: translate(call.locale, 'APP_MEDIA_REPLY_SPEECH', { seconds: (spoken.durationMs / 1_000).toFixed(1), characters: input.length }),
    attachments: [{ file_id: spoken.fileId, content_type: spoken.contentType }],
    outcome: spoken.outcome,
  };
};

/** An app chat asks for the shortest clip OpenAI's video API offers. */
const APP_CHAT_VIDEO_SECONDS = 4;
const APP_CHAT_VIDEO_SIZE = '720x1280';

/**
 * A short clip made from the message. Made inline on the shared operation path rather than through
 * the job queue: the chat answers once the clip exists, funded, delivered and settled like an image.
 */
const replyWithVideo: MediaReplier = async (platform, call) => {
  const input = {
    actor: call.actor,
    model: call.model,
    appId: call.appId,
    conversationId: call.conversationId,
    signal: call.signal,
    requestId: call.requestId,
  };
  let unitPriceNano = 0n;
  const prepared = await prepareOperationCall(platform, input, 'video_generation', {
    reserve: (model) => {
      unitPriceNano = model.pricing.units.perSecond ?? 0n;
      return unitPriceNano * BigInt(APP_CHAT_VIDEO_SECONDS);
    },
  });
  const request = { prompt: call.prompt, seconds: APP_CHAT_VIDEO_SECONDS, size: APP_CHAT_VIDEO_SIZE, inputReference: null };
  const { delivered, outcome } = await runOperationCall(platform, prepared, {
    attempt: (adapter, target, ctx) => {
      if (!adapter.generateVideo)
        throw new AppError('SERVICE_UNAVAILABLE', { message: 'MODEL_NO_ROUTE', params: { model: prepared.model.name } });
      return adapter.generateVideo(target, { request, upstreamModel: target.upstreamModel }, { ...ctx, onProgress: () => {} });
    },
    deliver: async (clip: VideoResult) => ({
      clip,
      file: await storeGenerated(platform, call.actor.userId, {
        bytes: clip.bytes,
        contentType: clip.contentType,
        filename: `video.${clip.contentType === 'video/x-msvideo' ? 'avi' : 'mp4'}`,
        metadata: { duration_ms: clip.durationMs, width: clip.width, height: clip.height },
      }),
    }),
    // Never more than was reserved: the seconds asked for.
    bill: (clip) => ({ units: { unit: 'second', milliseconds: Math.min(clip.durationMs, APP_CHAT_VIDEO_SECONDS * 1_000), unitPriceNano } }),
  });
  return {
    text: translate(call.locale, 'APP_MEDIA_REPLY_VIDEO', {
      seconds: (delivered.clip.durationMs / 1_000).toFixed(1),
      size: `${delivered.clip.width}x${delivered.clip.height}`,
    }),
    attachments: [{ file_id: delivered.file.id, content_type: delivered.file.content_type }],
    outcome,
  };
};

/** Keyed by the operation the application's model does, in the canonical order of operations. */
const MEDIA_REPLIES: Partial<Record<ModelOperation, MediaReplier>> = {
  image_generation: replyWithImage,
  speech: replyWithSpeech,
  video_generation: replyWithVideo,
};

/** How an application on a model with these operations answers, or null when the model chats (or can do none of these). */
export function mediaReplierFor(operations: readonly ModelOperation[]): MediaReplier | null {
  if (operations.includes('chat')) return null;
  const operation = MODEL_OPERATIONS.find((op) => operations.includes(op) && MEDIA_REPLIES[op] !== undefined);
  return operation ? MEDIA_REPLIES[operation]! : null;
}
