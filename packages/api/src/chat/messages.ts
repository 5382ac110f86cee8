import type { MessageCatalog } from '../core/message-catalog.js';

export const chatMessages = {} satisfies MessageCatalog;
