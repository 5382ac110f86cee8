import type { MessageCatalog } from '../core/message-catalog.js';

export const communityMessages = {} satisfies MessageCatalog;
