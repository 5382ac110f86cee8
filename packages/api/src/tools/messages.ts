import type { MessageCatalog } from '../core/message-catalog.js';

export const toolsMessages = {} satisfies MessageCatalog;
