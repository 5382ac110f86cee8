import { describeError } from '../core/errors.js';
import type { Locale } from '../core/i18n.js';
import type { ChatStreamBilled, ChatStreamErrorEvent } from './schemas.js';

/**
 * The chat stream's error event, the only place it is built. Two faces stream a chat (tRPC's
 * `chat.stream` and the host's SSE route for `POST /api/v1/applications/{app_id}/chat`), so it lives
 * with the chat domain rather than with the host's renderers (which re-export it). The response
 * headers are gone by the time a stream breaks: the failure travels as the last event, with the
 * request id in it, and with what the partial reply cost when the call got far enough to be billed.
 */
export function renderChatStreamError(error: unknown, locale: Locale, requestId: string, billed?: ChatStreamBilled): ChatStreamErrorEvent {
  const problem = describeError(error, locale);
  return { type: 'error', error: { code: problem.code, message: problem.message, request_id: requestId }, ...billed };
}
