import { TRPCClientError } from '@trpc/client';
import type { AppRouter, ErrorStatusTable } from './router.js';

type ServerErrorData = NonNullable<TRPCClientError<AppRouter>['data']>;

/** The contract's error codes (`error.code` in the REST envelope, `error.data.code` on tRPC). */
export type ApiErrorCode = ServerErrorData['code'];
/** Failures with no answer from the server. */
export type ClientErrorCode = 'NETWORK_ERROR' | 'TIMEOUT' | 'ABORTED';
/** Known codes autocomplete; a newer server may send one this SDK version does not know yet. */
export type MaasErrorCode = ApiErrorCode | ClientErrorCode | (string & {});

const BRAND = Symbol.for('@maas/sdk/MaasError');

export interface MaasErrorInit {
  code: MaasErrorCode;
  status: number;
  message: string;
  requestId?: string | null;
  details?: Record<string, unknown> | null;
  retryAfterMs?: number | null;
  path?: string | null;
  cause?: unknown;
  /** The tRPC error this one describes, when there was one (keeps `shape`, `data` and `meta`). */
  from?: TRPCClientError<AppRouter>;
}

/**
 * Every failed call rejects with a MaasError. It extends tRPC's TRPCClientError (so tRPC tooling
 * and `isTRPCClientError` keep working; the tRPC client passes it through unchanged) and adds the
 * contract's fields.
 */
export class MaasError extends TRPCClientError<AppRouter> {
  /** The contract code (`NOT_FOUND`, `CONFLICT`…) or NETWORK_ERROR / TIMEOUT / ABORTED. */
  readonly code: MaasErrorCode;
  /** HTTP status; 0 when no response arrived. */
  readonly status: number;
  /** The server's request id (also the `x-request-id` response header): quote it in bug reports. */
  readonly request_id: string | null;
  readonly details: Record<string, unknown> | null;
  /** How long the server asked us to wait (Retry-After), when it did. */
  readonly retryAfterMs: number | null;
  /** The procedure path (`users.profile`) or the raw request path. */
  readonly path: string | null;

  constructor(init: MaasErrorInit) {
    super(init.message, {
      ...(init.from?.shape ? { result: { error: init.from.shape } } : {}),
      ...(init.cause instanceof Error ? { cause: init.cause } : {}),
      ...(init.from?.meta ? { meta: init.from.meta } : {}),
    });
    // TRPCClientError resets the prototype to its own in its constructor.
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = 'MaasError';
    this.code = init.code;
    this.status = init.status;
    this.request_id = init.requestId ?? null;
    this.details = init.details ?? null;
    this.retryAfterMs = init.retryAfterMs ?? null;
    this.path = init.path ?? null;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/**
 * True for a MaasError from any copy of the SDK (the ESM and CJS builds are different classes, so
 * `instanceof` can miss when both are loaded).
 */
export function isMaasError(value: unknown): value is MaasError {
  return typeof value === 'object' && value !== null && Reflect.get(value, BRAND) === true;
}

/**
 * The server's code-to-status table. The published SDK cannot import the server at run time, so the
 * values are here, but `satisfies` pins them to the server's own table type: a code added, removed
 * or moved there fails to compile here, in the workspace and in the published build alike.
 */
const STATUS_OF_CODE = {
  INVALID_REQUEST: 400,
  UNAUTHORIZED: 401,
  PAYMENT_REQUIRED: 402,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  UPSTREAM_ERROR: 502,
  SERVICE_UNAVAILABLE: 503,
  UPSTREAM_TIMEOUT: 504,
} as const satisfies ErrorStatusTable;

function isApiErrorCode(code: string): code is ApiErrorCode {
  return Object.hasOwn(STATUS_OF_CODE, code);
}

const CODE_FOR_STATUS = new Map<number, ApiErrorCode>();
for (const [code, status] of Object.entries(STATUS_OF_CODE)) if (isApiErrorCode(code)) CODE_FOR_STATUS.set(status, code);

/** The contract code an HTTP status stands for, when the body did not say (a proxy's 502 page). */
export function codeForStatus(status: number): ApiErrorCode {
  return CODE_FOR_STATUS.get(status) ?? (status >= 500 ? 'INTERNAL_ERROR' : 'INVALID_REQUEST');
}

/** Seconds or an HTTP date, as RFC 9110 allows; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface ResponseLike {
  status: number;
  headers: { get(name: string): string | null };
}

function isResponseLike(value: unknown): value is ResponseLike {
  if (!isRecord(value) || typeof value.status !== 'number') return false;
  const headers = value.headers;
  return typeof headers === 'object' && headers !== null && typeof Reflect.get(headers, 'get') === 'function';
}

/** httpLink keeps the fetch Response in `meta.response` of the errors it raises. */
function responseOf(error: TRPCClientError<AppRouter>): ResponseLike | null {
  const response = isRecord(error.meta) ? error.meta.response : undefined;
  return isResponseLike(response) ? response : null;
}

function isAbortError(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    if (isRecord(current) && (current.name === 'AbortError' || current.name === 'TimeoutError')) return true;
    current = isRecord(current) ? current.cause : undefined;
  }
  return false;
}

export interface ErrorContext {
  path?: string | null;
  /** Our own per-call timer fired. */
  timedOutAfterMs?: number;
  /** The caller's AbortSignal fired. */
  aborted?: boolean;
}

export function abortedError(path: string | null, cause?: unknown): MaasError {
  return new MaasError({ code: 'ABORTED', status: 0, message: 'The request was aborted', path, cause });
}

export function timeoutError(path: string | null, ms: number, cause?: unknown): MaasError {
  return new MaasError({ code: 'TIMEOUT', status: 0, message: `No answer within ${ms} ms`, path, cause });
}

/** Turns whatever a call failed with into a MaasError. */
export function toMaasError(error: unknown, context: ErrorContext = {}): MaasError {
  if (isMaasError(error)) return error;
  const path = context.path ?? null;
  if (context.aborted) return abortedError(path, error);
  if (context.timedOutAfterMs !== undefined) return timeoutError(path, context.timedOutAfterMs, error);

  if (error instanceof TRPCClientError) {
    const trpcError = error as TRPCClientError<AppRouter>;
    const response = responseOf(trpcError);
    const retryAfterMs = parseRetryAfter(response?.headers.get('retry-after'));
    const data = trpcError.data;
    if (data && typeof data.code === 'string') {
      return new MaasError({
        code: data.code,
        status: typeof data.httpStatus === 'number' ? data.httpStatus : (response?.status ?? 0),
        message: trpcError.message,
        requestId: data.request_id ?? response?.headers.get('x-request-id') ?? null,
        details: isRecord(data.details) ? data.details : null,
        retryAfterMs,
        path,
        from: trpcError,
        cause: trpcError.cause,
      });
    }
    if (response) {
      return new MaasError({
        code: codeForStatus(response.status),
        status: response.status,
        message: trpcError.message,
        requestId: response.headers.get('x-request-id'),
        retryAfterMs,
        path,
        from: trpcError,
        cause: trpcError.cause,
      });
    }
    if (isAbortError(trpcError.cause)) return abortedError(path, trpcError.cause);
    return new MaasError({
      code: 'NETWORK_ERROR',
      status: 0,
      message: `Network error: ${trpcError.message}`,
      path,
      from: trpcError,
      cause: trpcError.cause,
    });
  }
  if (isAbortError(error)) return abortedError(path, error);
  const message = error instanceof Error ? error.message : String(error);
  return new MaasError({ code: 'NETWORK_ERROR', status: 0, message: `Network error: ${message}`, path, cause: error });
}

/**
 * The error an HTTP answer stands for, from its body: the REST envelope `{error:{code,…}}` or a
 * tRPC error body. Used by the raw helpers and by the transport for non-tRPC error bodies.
 */
export function errorFromBody(status: number, headers: ResponseLike['headers'], text: string, path: string | null): MaasError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  const trpcData = error && isRecord(error.data) ? error.data : undefined;
  const source = trpcData ?? error;
  const code = typeof source?.code === 'string' ? source.code : codeForStatus(status);
  const message = (typeof error?.message === 'string' && error.message) || (text && !body ? text.slice(0, 200) : '') || `HTTP ${status}`;
  const requestId = typeof source?.request_id === 'string' ? source.request_id : headers.get('x-request-id');
  return new MaasError({
    code,
    status,
    message,
    requestId,
    details: isRecord(source?.details) ? source.details : null,
    retryAfterMs: parseRetryAfter(headers.get('retry-after')),
    path,
  });
}
