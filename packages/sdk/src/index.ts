export {
  createMaasClient,
  type HeadersOption,
  type MaasClient,
  type MaasClientExtras,
  type MaasClientOptions,
  type RawClient,
  type RawRequestInit,
} from './client.js';
export { MaasError, isMaasError, type ApiErrorCode, type ClientErrorCode, type MaasErrorCode } from './errors.js';
export type { MaasCallContext } from './link.js';
export { paginate, type PageLike, type PaginateOptions } from './paginate.js';
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
export type { TokenSource } from './session.js';
export { readSse, readSseEvents, type ReadSseOptions, type SseEvent } from './sse.js';
export type { AppRouter } from './router.js';
export type * from './types.js';
