import type { MessageCatalog } from '../core/message-catalog.js';

export const providersMessages = {} satisfies MessageCatalog;
