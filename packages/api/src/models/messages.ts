import type { MessageCatalog } from '../core/message-catalog.js';

export const modelsMessages = {} satisfies MessageCatalog;
