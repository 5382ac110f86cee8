import type { ProviderTarget } from '../adapter.js';
import { UpstreamError, type UpstreamErrorKind } from '../errors.js';

// Maps what undici and the upstream say into UpstreamError: bounded, sanitised messages, and
// `retryable` only while nothing has been handed onwards.

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function errorCode(err: unknown): string | undefined {
  return isRecord(err) && typeof err.code === 'string' ? err.code : undefined;
}

// Failures where no byte of the request reached the upstream.
const CONNECT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  // The outbound address guard refused the address (core/outbound-guard.ts).
  'EADDRBLOCKED',
]);

/** A transport failure as an UpstreamError; `retryable` is decided by the caller. */
export function transportError(
  err: unknown,
  target: ProviderTarget,
  signal: AbortSignal | undefined,
  retryable: boolean,
  contentSoFar?: string,
): UpstreamError {
  if (err instanceof UpstreamError) {
    // Re-stamp errors raised earlier in a stream: data may have been yielded since.
    if (err.retryable === retryable && err.contentSoFar === contentSoFar) return err;
    return new UpstreamError(err.message, {
      kind: err.kind,
      providerId: err.providerId,
      retryable: err.retryable && retryable,
      status: err.status,
      code: err.code,
      contentSoFar,
      retryAfterMs: err.retryAfterMs,
      cause: err.cause,
    });
  }
  const code = errorCode(err);
  const base = { providerId: target.providerId, code, contentSoFar, cause: err };
  if (signal?.aborted === true || code === 'UND_ERR_ABORTED' || (err instanceof Error && err.name === 'AbortError')) {
    return new UpstreamError(`request to ${target.name} aborted`, { ...base, kind: 'aborted', retryable: false });
  }
  let kind: UpstreamErrorKind;
  let message: string;
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
      kind = 'timeout';
      message = `${target.name} sent no response headers within ${target.timeouts.firstByteMs} ms`;
      break;
    case 'UND_ERR_BODY_TIMEOUT':
      kind = 'timeout';
      message = `${target.name} sent nothing for ${target.timeouts.idleMs} ms`;
      break;
    case 'UND_ERR_CONNECT_TIMEOUT':
      kind = 'connect';
      message = `could not connect to ${target.name} within ${target.timeouts.connectMs} ms`;
      break;
    default:
      if (code !== undefined && CONNECT_CODES.has(code)) {
        kind = 'connect';
        message = `could not connect to ${target.name} (${code})`;
      } else {
        // Socket closed or reset mid-response, content-length mismatch, etc.
        kind = 'protocol';
        message = `connection to ${target.name} failed: ${err instanceof Error ? err.message : String(err)}`;
      }
  }
  return new UpstreamError(message, { ...base, kind, retryable });
}

export function protocolError(target: ProviderTarget, message: string, retryable: boolean, contentSoFar?: string): UpstreamError {
  return new UpstreamError(`${target.name}: ${message}`, { kind: 'protocol', providerId: target.providerId, retryable, contentSoFar });
}

function parseRetryAfter(value: string | string[] | undefined): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

// What of an upstream's error body may reach our client: one line of plain text, this long at most.
const MAX_UPSTREAM_MESSAGE_CHARS = 300;
const MAX_UPSTREAM_CODE_CHARS = 64;
// C0/C1 controls, zero-width and bidirectional formatting characters: they could forge log lines or hide text.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]+/g;

/** One bounded line of plain text from whatever an upstream wrote. */
function sanitise(text: string, max = MAX_UPSTREAM_MESSAGE_CHARS): string {
  const line = text.replace(UNPRINTABLE, ' ').replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/**
 * The message (and code) of an error body in the common shapes (OpenAI, Anthropic, Gemini, plain
 * text), sanitised and bounded: never the body verbatim. A body that is markup (an HTML error page,
 * say, from a proxy or from whatever the address turned out to be) is not repeated at all.
 */
export function upstreamErrorMessage(text: string, status: number): { message: string; code?: string } {
  const fallback = `upstream answered HTTP ${status}`;
  const found = (message: string, code?: string) => {
    const clean = sanitise(message);
    const cleanCode = code === undefined ? '' : sanitise(code, MAX_UPSTREAM_CODE_CHARS);
    return { message: clean === '' ? fallback : clean, ...(cleanCode === '' ? {} : { code: cleanCode }) };
  };
  try {
    const json: unknown = JSON.parse(text);
    if (isRecord(json)) {
      const error = json.error;
      if (isRecord(error) && typeof error.message === 'string') {
        const code =
          typeof error.code === 'string'
            ? error.code
            : typeof error.type === 'string'
              ? error.type
              : typeof error.status === 'string'
                ? error.status
                : undefined;
        return found(error.message, code);
      }
      if (typeof error === 'string') return found(error);
      if (typeof json.message === 'string') return found(json.message);
      if (typeof json.detail === 'string') return found(json.detail);
    }
    return { message: fallback };
  } catch {
    // Not JSON: plain text may be a provider's message; markup is someone's page.
  }
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.startsWith('<') || /<\/?[a-z][^>]*>/i.test(trimmed)) return { message: fallback };
  return found(trimmed);
}

/** A non-2xx answer as an UpstreamError. */
export function statusError(
  target: ProviderTarget,
  status: number,
  retryAfter: string | string[] | undefined,
  body: string,
): UpstreamError {
  const { message, code } = upstreamErrorMessage(body, status);
  const base = { providerId: target.providerId, status, code };
  if (status === 429) {
    return new UpstreamError(message, { ...base, kind: 'rate_limited', retryable: true, retryAfterMs: parseRetryAfter(retryAfter) });
  }
  if (status === 408) return new UpstreamError(message, { ...base, kind: 'timeout', retryable: true });
  if (status >= 500) {
    return new UpstreamError(message, { ...base, kind: 'server', retryable: true, retryAfterMs: parseRetryAfter(retryAfter) });
  }
  // 401/403 here mean the platform's key for this provider is wrong, not the client's; they still
  // count as 'client' so a broken key surfaces loudly instead of being papered over by failover.
  if (status >= 400) return new UpstreamError(message, { ...base, kind: 'client', retryable: false });
  // 1xx/3xx: undici follows no redirects, so the provider is misconfigured.
  return new UpstreamError(`unexpected HTTP ${status} from ${target.name}`, { ...base, kind: 'protocol', retryable: true });
}
