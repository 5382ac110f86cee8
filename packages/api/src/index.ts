export { appRouter, type AppRouter } from './root.js';
export { buildOpenApiDocument, createdProcedurePaths } from './openapi.js';
export { createPlatform, type PlatformInit } from './create-platform.js';
export type { Platform } from './core/platform.js';
export { createRequestContext, type RequestContext, type Actor } from './core/context.js';
export { loadConfig, type PlatformConfig } from './core/config.js';
export { AppError, describeError, type DescribedError, ERROR_STATUS, type ErrorCode, type ErrorStatusTable } from './core/errors.js';
export { negotiateLocale, translate, type Locale } from './core/i18n.js';
export { resolveJwtSecret } from './auth/jwt-secret.js';
export { type InitialAdmin } from './seed/admin.js';
export { bootstrapPlatformData, type BootstrapReport } from './seed/bootstrap.js';
export { authenticateRequest } from './auth/authenticate.js';
export * from './inference/index.js';
export { rateLimitHeaders, type RateLimiter, type RateLimits, type RateLimitDecision } from './core/rate-limits.js';
export type { LoginAttemptVerdict, LoginLimiter } from './core/rate-limits.js';
export type { Telemetry } from './core/telemetry.js';
export { deleteExpiredFiles, type GeneratedMedia, openFileContent, storeGenerated, storeUpload } from './files/service.js';
export { type BlobStore, localBlobStore } from './files/blob-store.js';
export { fileContentUrl } from './files/content-url.js';
export { storeModelUpload } from './files/model-upload.js';
export { handleStripeWebhook } from './top-ups/webhook.js';
export { makeTinyModel } from './files/gguf/tiny-model.js';
export { writeGgufHeader } from './files/gguf/writer.js';
export { LocalRuntime } from './inference/adapters/local/index.js';
export { chatWithApplication, openChatStream } from './chat/service.js';
export { answerEvents, completeAsApp, isAppModel } from './chat/app-model.js';
export { renderChatStreamError } from './chat/stream-events.js';
export { ChatInput } from './chat/schemas.js';
export type { ChatStreamBilled, ChatStreamErrorEvent, ChatStreamEvent } from './chat/schemas.js';
export { listModelsForGateway } from './chat/gateway-models.js';
export { answerDemoCalculator, DEMO_CALCULATOR_PATH } from './tools/demo/calculator.js';
export { DEMO_CLOCK_PATH, handleDemoClock } from './tools/demo/clock-mcp.js';
export { releaseStaleReservations } from './billing/reservations.js';
export { releaseStaleLeases } from './billing/leases.js';
export { type Invalidation, type InvalidationChannel, Invalidations } from './core/invalidation.js';
export { BlockedAddressError, type LookupFunction, OutboundGuard, type UrlVerdict } from './core/outbound-guard.js';
export { isLocalName, isSpecialPurposeAddress } from './core/special-addresses.js';
export {
  createVideoJob,
  deleteVideoJob,
  discardUpload,
  getVideoJob,
  listVideoJobs,
  MAX_VIDEO_SECONDS,
  openVideoContent,
  type VideoJobView,
} from './videos/jobs.js';
export { handleMcpPost, type McpRequestContext } from './tools/runtime/mcp-server.js';
export { runToolCall } from './tools/runtime/run.js';
export type { AppToolBinding, ModelFacingFunction, ToolCallInput, ToolCallOutcome } from './tools/runtime/contract.js';
export { verifySignature } from './tools/runtime/signing.js';
