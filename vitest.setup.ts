// Error messages are translated from the catalog that src/messages.ts composes above the domains and
// that createPlatform installs. Unit tests that throw domain errors without building a platform get
// the same catalog here, so their messages read as they do in a running server.
import { installMessageCatalog } from './packages/api/src/core/i18n.js';
import { messages } from './packages/api/src/messages.js';

installMessageCatalog(messages);
