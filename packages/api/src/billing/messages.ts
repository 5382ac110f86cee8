import type { MessageCatalog } from '../core/message-catalog.js';

export const billingMessages = {} satisfies MessageCatalog;
