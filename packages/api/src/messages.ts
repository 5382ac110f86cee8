import { apiKeysMessages } from './api-keys/messages.js';
import { applicationsMessages } from './applications/messages.js';
import { authMessages } from './auth/messages.js';
import { billingMessages } from './billing/messages.js';
import { chatMessages } from './chat/messages.js';
import { communityMessages } from './community/messages.js';
import { commonMessages } from './core/messages.js';
import type { MessageCatalog } from './core/message-catalog.js';
import { audioMessages } from './inference/audio-messages.js';
import { geminiMessages } from './inference/adapters/gemini/messages.js';
import { imagesMessages } from './inference/images-messages.js';
import { inferenceMessages } from './inference/messages.js';
import { openAiResponsesMessages } from './inference/protocols/openai-responses-messages.js';
import { modelsMessages } from './models/messages.js';
import { providersMessages } from './providers/messages.js';
import { toolsMessages } from './tools/messages.js';
import { toolRuntimeMessages } from './tools/runtime/messages.js';
import { topUpsMessages } from './top-ups/messages.js';
import { usersMessages } from './users/messages.js';
import { videosMessages } from './videos/messages.js';

/** Every message the API can answer with, composed above the domains so that core imports none of them. */
export const messages = {
  ...commonMessages,
  ...authMessages,
  ...usersMessages,
  ...billingMessages,
  ...apiKeysMessages,
  ...modelsMessages,
  ...inferenceMessages,
  ...providersMessages,
  ...applicationsMessages,
  ...chatMessages,
  ...toolsMessages,
  ...toolRuntimeMessages,
  ...topUpsMessages,
  ...communityMessages,
  ...geminiMessages,
  ...openAiResponsesMessages,
  ...imagesMessages,
  ...audioMessages,
  ...videosMessages,
} satisfies MessageCatalog;

type Messages = typeof messages;

// Makes every domain's keys valid `MessageKey`s (core/i18n.ts), checked at compile time.
declare module './core/i18n.js' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the domains' keys
  interface MessageRegistry extends Messages {}
}
