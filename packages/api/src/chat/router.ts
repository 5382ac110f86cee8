import { authedProcedure, router } from '../trpc.js';
import { deleteConversation, listConversations, listMessages } from './conversations.js';
import {
  ChatInput,
  ChatResponse,
  ConversationList,
  ConversationRef,
  DeletedResult,
  ListConversationsInput,
  ListMessagesInput,
  MessageList,
} from './schemas.js';
import { chatWithApplication, openChatStream } from './service.js';

export const chatRouter = router({
  // Over REST the same path also streams: `stream: true` is answered as text/event-stream by the
  // host's SSE route, which calls the same service.
  send: authedProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/applications/{app_id}/chat',
        tags: ['applications'],
        protect: true,
        summary: 'Chat with an application',
        description: 'With `stream: true` the answer is `text/event-stream`: `delta` events, then one `done` event (or one `error` event).',
      },
      errors: ['PAYMENT_REQUIRED', 'CONFLICT', 'UPSTREAM_ERROR', 'UPSTREAM_TIMEOUT'],
    })
    .input(ChatInput)
    .output(ChatResponse)
    .mutation(({ ctx, input }) => chatWithApplication(ctx.platform, ctx, ctx.actor, { ...input, stream: false })),

  /** tRPC streaming face of the chat (use httpBatchStreamLink): yields delta events, then `done` or `error`. */
  stream: authedProcedure.input(ChatInput.omit({ stream: true })).mutation(async function* ({ ctx, input }) {
    const events = await openChatStream(ctx.platform, ctx, ctx.actor, { ...input, stream: true });
    yield* events;
  }),

  conversations: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/conversations',
        tags: ['chat'],
        protect: true,
        summary: 'Your conversations',
        description: 'Paginated, most recently active first; filter by application.',
      },
    })
    .input(ListConversationsInput)
    .output(ConversationList)
    .query(({ ctx, input }) => listConversations(ctx.platform.db, ctx.actor, input)),

  messages: authedProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/conversations/{conversation_id}/messages',
        tags: ['chat'],
        protect: true,
        summary: 'Messages of a conversation',
        description: "Oldest first, paginated, with each assistant message's tokens and cost.",
      },
    })
    .input(ListMessagesInput)
    .output(MessageList)
    .query(({ ctx, input }) => listMessages(ctx.platform, ctx.actor, input)),

  deleteConversation: authedProcedure
    .meta({
      openapi: {
        method: 'DELETE',
        path: '/conversations/{conversation_id}',
        tags: ['chat'],
        protect: true,
        summary: 'Delete a conversation',
        description: 'Deletes it and its messages. Usage records stay.',
      },
    })
    .input(ConversationRef)
    .output(DeletedResult)
    .mutation(({ ctx, input }) => deleteConversation(ctx.platform.db, ctx.actor, input.conversation_id)),
});
