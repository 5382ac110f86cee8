import type { MessageCatalog } from '../core/message-catalog.js';

export const applicationsMessages = {} satisfies MessageCatalog;
