import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import { ZodError } from 'zod';
import { localizeZodIssue, type Locale, type MessageKey, translate } from './i18n.js';

/** The envelope codes of the /api/v1 contract, plus the ones the platform adds where they fit. */
export const ERROR_STATUS = {
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
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

const TRPC_CODE_FOR: Record<ErrorCode, TRPC_ERROR_CODE_KEY> = {
  INVALID_REQUEST: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  PAYMENT_REQUIRED: 'PAYMENT_REQUIRED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  RATE_LIMITED: 'TOO_MANY_REQUESTS',
  INTERNAL_ERROR: 'INTERNAL_SERVER_ERROR',
  UPSTREAM_ERROR: 'BAD_GATEWAY',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  UPSTREAM_TIMEOUT: 'GATEWAY_TIMEOUT',
};

const APP_CODE_FOR_TRPC: Partial<Record<TRPC_ERROR_CODE_KEY, ErrorCode>> = {
  PARSE_ERROR: 'INVALID_REQUEST',
  BAD_REQUEST: 'INVALID_REQUEST',
  UNSUPPORTED_MEDIA_TYPE: 'INVALID_REQUEST',
  METHOD_NOT_SUPPORTED: 'NOT_FOUND',
  UNPROCESSABLE_CONTENT: 'INVALID_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  PAYMENT_REQUIRED: 'PAYMENT_REQUIRED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  TOO_MANY_REQUESTS: 'RATE_LIMITED',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  BAD_GATEWAY: 'UPSTREAM_ERROR',
  GATEWAY_TIMEOUT: 'UPSTREAM_TIMEOUT',
  TIMEOUT: 'UPSTREAM_TIMEOUT',
};

export type ErrorDetails = Record<string, unknown>;

export interface AppErrorOptions {
  /** A more specific message than the code's default one. */
  message?: MessageKey;
  params?: Record<string, string | number>;
  details?: ErrorDetails;
  /** Extra response headers, e.g. Retry-After on a 429. */
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * The one error type services throw. It is a TRPCError so tRPC passes it through untouched;
 * the error formatter and the REST mapper turn it into the contract's envelope.
 */
export class AppError extends TRPCError {
  readonly appCode: ErrorCode;
  readonly messageKey: MessageKey;
  readonly params: Record<string, string | number> | undefined;
  readonly details: ErrorDetails | null;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, options: AppErrorOptions = {}) {
    const messageKey = options.message ?? code;
    super({ code: TRPC_CODE_FOR[code], message: translate('en', messageKey, options.params), cause: options.cause });
    // trpc-to-openapi recognises tRPC errors by name; renaming it would turn every AppError into a 500.
    this.name = 'TRPCError';
    this.appCode = code;
    this.messageKey = messageKey;
    this.params = options.params;
    this.details = options.details ?? null;
    this.headers = options.headers;
  }

  get status(): number {
    return ERROR_STATUS[this.appCode];
  }
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details: ErrorDetails | null;
}

/** PostgreSQL and driver errors that mean "the database is unreachable right now", not a bug. */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '53300']);
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH']);

/** True when the database is unreachable or restarting: a retry later can succeed. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (typeof current !== 'object') return false;
    const code = 'code' in current ? current.code : undefined;
    if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_ERRNOS.has(code))) return true;
    const message = 'message' in current && typeof current.message === 'string' ? current.message : '';
    if (/Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message)) {
      return true;
    }
    current = 'cause' in current ? current.cause : undefined;
  }
  return false;
}

/**
 * SQLSTATEs PostgreSQL answers when a client's text cannot be stored at all (a NUL byte, a
 * character outside the encoding). Input validation should catch these first; this keeps any
 * input that slips through a 400 instead of a 500.
 */
const UNSTORABLE_TEXT_SQLSTATES = new Set(['22021', '22P05']);

function hasSqlState(error: unknown, states: ReadonlySet<string>): boolean {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (typeof current !== 'object') return false;
    const code = 'code' in current ? current.code : undefined;
    if (typeof code === 'string' && states.has(code)) return true;
    current = 'cause' in current ? current.cause : undefined;
  }
  return false;
}

/**
 * A hostile body can break one rule thousands of times (20 000 unknown keys, an array of 20 000
 * wrong items); the first few issues say what is wrong. Uncapped, each unknown key's reason used to
 * list every unknown key, so a 100 KB body made a response of gigabytes (found by the fuzz suite).
 */
const MAX_REPORTED_ISSUES = 20;

function reportedIssues(zodError: ZodError, locale: Locale): { field: string; reason: string }[] {
  const issues: { field: string; reason: string }[] = [];
  for (const issue of zodError.issues) {
    // An unknown key is reported at its parent; name the key itself so `field` points at it, and
    // give each key a reason naming that key alone.
    const perKey =
      issue.code === 'unrecognized_keys' ? issue.keys.slice(0, MAX_REPORTED_ISSUES).map((key) => ({ ...issue, keys: [key] })) : [issue];
    for (const single of perKey) {
      if (issues.length >= MAX_REPORTED_ISSUES) return issues;
      const field = single.code === 'unrecognized_keys' ? [...single.path, ...single.keys] : single.path;
      issues.push({ field: field.join('.'), reason: localizeZodIssue(locale, single) });
    }
  }
  return issues;
}

function findZodError(error: unknown): ZodError | undefined {
  if (error instanceof ZodError) return error;
  if (error instanceof Error && error.cause instanceof ZodError) return error.cause;
  return undefined;
}

/** Turns any thrown value into the envelope body, localized. Never exposes internal messages. */
export function describeError(error: unknown, locale: Locale): ErrorBody & { status: number; headers?: Record<string, string> } {
  if (error instanceof AppError) {
    return {
      code: error.appCode,
      status: error.status,
      message: translate(locale, error.messageKey, error.params),
      details: error.details,
      ...(error.headers ? { headers: error.headers } : {}),
    };
  }
  const zodError = findZodError(error);
  if (zodError) {
    const issues = reportedIssues(zodError, locale);
    const first = issues[0];
    return {
      code: 'INVALID_REQUEST',
      status: 400,
      message: translate(locale, 'INVALID_REQUEST'),
      details: { field: first?.field ?? '', reason: first?.reason ?? '', issues },
    };
  }
  if (hasSqlState(error, UNSTORABLE_TEXT_SQLSTATES)) {
    return { code: 'INVALID_REQUEST', status: 400, message: translate(locale, 'INVALID_REQUEST'), details: null };
  }
  if (isDatabaseUnavailable(error)) {
    return { code: 'SERVICE_UNAVAILABLE', status: 503, message: translate(locale, 'SERVICE_UNAVAILABLE'), details: null };
  }
  if (error instanceof TRPCError) {
    const code = APP_CODE_FOR_TRPC[error.code];
    if (code) {
      if (error.code === 'PARSE_ERROR') {
        return { code, status: ERROR_STATUS[code], message: translate(locale, 'MALFORMED_JSON'), details: null };
      }
      if (error.code === 'UNSUPPORTED_MEDIA_TYPE') {
        return { code, status: ERROR_STATUS[code], message: translate(locale, 'UNSUPPORTED_CONTENT_TYPE'), details: null };
      }
      return { code, status: ERROR_STATUS[code], message: translate(locale, code), details: null };
    }
  }
  return { code: 'INTERNAL_ERROR', status: 500, message: translate(locale, 'INTERNAL_ERROR'), details: null };
}
