// The app-chat stream's error event is rendered by the chat domain, because tRPC's `chat.stream`
// yields it as well as the host's SSE route; it is listed here beside the other wire formats so this
// folder names every shape an error can take.
export { renderChatStreamError } from '@maas/api';
