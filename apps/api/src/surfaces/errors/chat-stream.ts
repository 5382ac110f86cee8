import { type ChatStreamErrorEvent, ChatStreamFailure, describeError, type Locale } from '@maas/api';

/**
 * The app-chat stream's error event (`POST /api/v1/applications/{app_id}/chat` with `stream: true`),
 * the only place it is built. The response headers are gone by then, so the failure travels as the
 * stream's last event, with the request id in it; when the call was billed (a ChatStreamFailure),
 * the event says what the partial reply cost.
 */
export function renderChatStreamError(error: unknown, locale: Locale, requestId: string): ChatStreamErrorEvent {
  const failure = error instanceof ChatStreamFailure ? error : undefined;
  const problem = describeError(failure ? failure.cause : error, locale);
  return {
    type: 'error',
    error: { code: problem.code, message: problem.message, request_id: requestId },
    ...failure?.billed,
  };
}
