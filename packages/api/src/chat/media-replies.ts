// Issue 14 part 4: an application on a model that does not chat answers with what its model makes.
// One entry per operation: the user's message is the prompt, the media are stored as the caller's
// files, and the answer is a short text saying what was made plus the files as attachments. Speech
// and video add their own entry here; the chat service knows nothing of any of them.
import type { MessageAttachmentJson, ModelOperation } from '@maas/db';
import type { Actor } from '../core/context.js';
import { type Locale, translate } from '../core/i18n.js';
import type { Platform } from '../core/platform.js';
import type { CallOutcome } from '../inference/engine.js';
import { callImages } from '../inference/images.js';
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

/** Keyed by the operation the application's model does, in the canonical order of operations. */
const MEDIA_REPLIES: Partial<Record<ModelOperation, MediaReplier>> = {
  image_generation: replyWithImage,
  speech: replyWithSpeech,
};

/** How an application on a model with these operations answers, or null when the model chats (or can do none of these). */
export function mediaReplierFor(operations: readonly ModelOperation[]): MediaReplier | null {
  if (operations.includes('chat')) return null;
  const operation = MODEL_OPERATIONS.find((op) => operations.includes(op) && MEDIA_REPLIES[op] !== undefined);
  return operation ? MEDIA_REPLIES[operation]! : null;
}
