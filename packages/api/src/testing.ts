// Internals that tests outside this package reach on purpose, as `@maas/api/testing`. Everything a
// host or client uses goes through the public entry (`@maas/api`); this file lists the rest, so a
// refactor that moves one of these functions fixes one import here instead of a relative path
// (`../../../../packages/api/src/...`) in every test.
export { getApiKeyPolicy } from './api-keys/service.js';
export { getApplicationForChat } from './applications/service.js';
export { closeLease, collectLeaseExcess, openLease, settleLeaseCalls, type LeasedCallRecord } from './billing/leases.js';
export { releaseDeadInstanceHolds } from './billing/crash-recovery.js';
export { DEAD_AFTER_MS } from './billing/instance.js';
export { recoverJournals } from './billing/journal-recovery.js';
export { SettlementJournal } from './billing/settlement-journal.js';
export { reserveFunds, settleReservation, type UsageInput } from './billing/reservations.js';
export { DEFAULT_LEASE_OPTIONS, WalletLeases } from './billing/wallet-leases.js';
export { seedDemoCommunity } from './community/seed.js';
export { nanoToAmount } from './core/money.js';
export { newId } from './core/ids.js';
export { APPLICATION_CACHE_TTL_MS } from './applications/cache.js';
export { incrementModelCallCount, MODEL_CALL_CACHE_TTL_MS, resolveModelForCall } from './models/call-resolver.js';
export { parseProvidersEnv, syncProvidersFromEnv } from './models/env-catalog.js';
export { seedDemoCatalog, SYSTEM_USERNAME } from './models/seed.js';
export { assertResolvesPublic, isPrivateHost, normalizeBaseUrl } from './providers/base-url.js';
export { upstreamErrorMessage } from './inference/transport/errors.js';
export { decryptSecret, encryptSecret, providerEncryptionKey } from './providers/secrets.js';
export { countTextTokens } from './inference/token-count.js';
export { sampleArguments } from './inference/adapters/demo-echo/reply.js';
export { appendMessages, conversationTailQuery, loadHistory, openConversation } from './chat/conversations.js';
export { ConversationWrites } from './chat/conversation-writes.js';
export { ConversationTails } from './chat/conversation-tails.js';
export { seedDemoMarketplace } from './tools/seed.js';
export { loadAppToolBindings } from './tools/runtime/attachments.js';
export { adminProcedure, authedProcedure, developerProcedure } from './trpc.js';
export { settleToolCall } from './tools/runtime/settle.js';
export { exposedToolName } from './tools/runtime/naming.js';
export { listMcpFunctions } from './tools/runtime/mcp-client.js';
export { listPosts } from './community/service.js';
export { ListPostsInput } from './community/schemas.js';
export { getModel, listModels } from './models/service.js';
export { ListModelsInput } from './models/schemas.js';
export { listTools } from './tools/service.js';
export { ListToolsInput } from './tools/schemas.js';
export { type PlaceholderOf, QueryTemplate, queryTemplate } from './core/query-template.js';
export { getProfile } from './users/service.js';
