import type { DescribedError, ErrorCode } from '@maas/api';
import { errorHeaders, type RenderedError } from './rendered.js';

/** The error body OpenAI's API sends, which OpenAI clients parse. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

// The `type` and `code` follow OpenAI's where one exists; every contract code has a row, so a new
// code cannot reach an OpenAI client unmapped.
const OPENAI_ERROR: Record<ErrorCode, { type: string; code: string | null }> = {
  INVALID_REQUEST: { type: 'invalid_request_error', code: null },
  UNAUTHORIZED: { type: 'invalid_request_error', code: 'invalid_api_key' },
  PAYMENT_REQUIRED: { type: 'insufficient_quota', code: 'insufficient_quota' },
  FORBIDDEN: { type: 'permission_error', code: null },
  NOT_FOUND: { type: 'invalid_request_error', code: 'model_not_found' },
  CONFLICT: { type: 'api_error', code: 'conflict' },
  PAYLOAD_TOO_LARGE: { type: 'invalid_request_error', code: null },
  RATE_LIMITED: { type: 'rate_limit_error', code: 'rate_limit_exceeded' },
  INTERNAL_ERROR: { type: 'api_error', code: 'internal_error' },
  UPSTREAM_ERROR: { type: 'api_error', code: 'upstream_error' },
  SERVICE_UNAVAILABLE: { type: 'api_error', code: 'service_unavailable' },
  UPSTREAM_TIMEOUT: { type: 'api_error', code: 'upstream_timeout' },
};

/** The OpenAI-compatible gateway (`/v1`): `{error:{message,type,param,code}}`; also a stream's last event. */
export function renderOpenAiError(problem: DescribedError, requestId: string): RenderedError<OpenAiErrorBody> {
  const mapped = OPENAI_ERROR[problem.code];
  const param = typeof problem.details?.field === 'string' ? problem.details.field : null;
  return {
    status: problem.status,
    headers: errorHeaders(problem.headers, requestId),
    body: { error: { message: problem.message, type: mapped.type, param, code: mapped.code } },
  };
}

/** A path under `/v1` that the gateway does not serve, worded as OpenAI words it. */
export function renderOpenAiUnknownEndpoint(requestId: string): RenderedError<OpenAiErrorBody> {
  return {
    status: 404,
    headers: errorHeaders({}, requestId),
    body: { error: { message: 'Unknown endpoint', type: 'invalid_request_error', param: null, code: 'unknown_url' } },
  };
}
