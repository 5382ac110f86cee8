import type { MessageCatalog } from '../core/message-catalog.js';

export const apiKeysMessages = {} satisfies MessageCatalog;
