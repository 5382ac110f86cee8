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
/** The code-to-status table as a type, for clients that must agree with it (the SDK derives from it). */
export type ErrorStatusTable = typeof ERROR_STATUS;

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

/**
 * What any thrown value means to a client, before any wire format is chosen: the one result of
 * `describeError`, which every renderer (REST envelope, tRPC error data, OpenAI, Anthropic, the chat
 * stream's error event) turns into its own shape. `status` is always `ERROR_STATUS[code]`.
 */
export interface DescribedError {
  status: number;
  code: ErrorCode;
  message: string;
  details: ErrorDetails | null;
  /** Response headers the error asks for (Retry-After, rate-limit state); empty when none. */
  headers: Record<string, string>;
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

/** The contract code a bare HTTP status stands for, read off ERROR_STATUS (one table, inverted). */
const CODE_FOR_STATUS: ReadonlyMap<number, ErrorCode> = new Map(
  Object.entries(ERROR_STATUS).map(([code, status]) => [status, code as ErrorCode]),
);

/**
 * Errors the HTTP host raises itself before a route runs (Fastify's body parsing and limits, the
 * host's own JSON depth check), recognised by their `code`. Duck-typed: core knows the strings, not
 * Fastify.
 */
const HOST_ERRORS: Record<string, { code: ErrorCode; message: MessageKey }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'INVALID_REQUEST', message: 'MALFORMED_JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'INVALID_REQUEST', message: 'MALFORMED_JSON' },
  MAAS_JSON_TOO_DEEP: { code: 'INVALID_REQUEST', message: 'JSON_TOO_DEEP' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', message: 'PAYLOAD_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'INVALID_REQUEST', message: 'UNSUPPORTED_CONTENT_TYPE' },
};

/**
 * Client-error statuses the contract has no code of their own for: they are the caller's invalid
 * request (400 on the wire, as ERROR_STATUS says), with a message that names what went wrong.
 */
const CLIENT_STATUS_MESSAGES: Partial<Record<number, MessageKey>> = {
  408: 'REQUEST_TIMEOUT',
  415: 'UNSUPPORTED_CONTENT_TYPE',
  431: 'HEADERS_TOO_LARGE',
};

/** A host error (`{code, statusCode}`) as the platform error it stands for; null for anything else. */
function hostError(error: unknown): { code: ErrorCode; message: MessageKey } | null {
  if (typeof error !== 'object' || error === null || error instanceof TRPCError) return null;
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  const known = code === undefined ? undefined : HOST_ERRORS[code];
  if (known) return known;
  const status = 'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : undefined;
  // Server-side statuses are not trusted from a thrown value: those stay an INTERNAL_ERROR below.
  if (status === undefined || status < 400 || status >= 500) return null;
  const contractCode = CODE_FOR_STATUS.get(status) ?? 'INVALID_REQUEST';
  return { code: contractCode, message: CLIENT_STATUS_MESSAGES[status] ?? contractCode };
}

function described(code: ErrorCode, locale: Locale, message: MessageKey = code, details: ErrorDetails | null = null): DescribedError {
  return { status: ERROR_STATUS[code], code, message: translate(locale, message), details, headers: {} };
}

/**
 * The one conversion: anything thrown (an AppError, a TRPCError, a ZodError, a host error carrying
 * `statusCode`/`code`, a database error, anything else) becomes a DescribedError, localized.
 * Internal messages never leave it: an unknown failure is INTERNAL_ERROR with the generic message.
 */
export function describeError(error: unknown, locale: Locale): DescribedError {
  if (error instanceof AppError) {
    return {
      status: error.status,
      code: error.appCode,
      message: translate(locale, error.messageKey, error.params),
      details: error.details,
      headers: error.headers ?? {},
    };
  }
  const host = hostError(error);
  if (host) return described(host.code, locale, host.message);
  const zodError = findZodError(error);
  if (zodError) {
    const issues = reportedIssues(zodError, locale);
    const first = issues[0];
    return described('INVALID_REQUEST', locale, 'INVALID_REQUEST', { field: first?.field ?? '', reason: first?.reason ?? '', issues });
  }
  if (hasSqlState(error, UNSTORABLE_TEXT_SQLSTATES)) return described('INVALID_REQUEST', locale);
  if (isDatabaseUnavailable(error)) return described('SERVICE_UNAVAILABLE', locale);
  if (error instanceof TRPCError) {
    const code = APP_CODE_FOR_TRPC[error.code];
    if (code) {
      if (error.code === 'PARSE_ERROR') return described(code, locale, 'MALFORMED_JSON');
      if (error.code === 'UNSUPPORTED_MEDIA_TYPE') return described(code, locale, 'UNSUPPORTED_CONTENT_TYPE');
      return described(code, locale);
    }
  }
  return described('INTERNAL_ERROR', locale);
}
