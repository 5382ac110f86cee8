import type { DescribedError, ErrorCode } from '@maas/api';
import { errorHeaders, type RenderedError } from './rendered.js';

/** The error types of Anthropic's Messages API, which Anthropic clients branch on. */
export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

/** Anthropic's error body; `request_id` is the same id as the `x-request-id` header. */
export interface AnthropicErrorBody {
  type: 'error';
  error: { type: AnthropicErrorType; message: string };
  request_id: string;
}

// Anthropic has no conflict type (a conflict is the caller's request that cannot be applied) and
// answers overload with 529; ours is a 503 and keeps its status, the type says "retry later" alike.
const ANTHROPIC_TYPE: Record<ErrorCode, AnthropicErrorType> = {
  INVALID_REQUEST: 'invalid_request_error',
  UNAUTHORIZED: 'authentication_error',
  PAYMENT_REQUIRED: 'billing_error',
  FORBIDDEN: 'permission_error',
  NOT_FOUND: 'not_found_error',
  CONFLICT: 'invalid_request_error',
  PAYLOAD_TOO_LARGE: 'request_too_large',
  RATE_LIMITED: 'rate_limit_error',
  INTERNAL_ERROR: 'api_error',
  UPSTREAM_ERROR: 'api_error',
  SERVICE_UNAVAILABLE: 'overloaded_error',
  UPSTREAM_TIMEOUT: 'api_error',
};

/** An Anthropic-compatible surface (`/v1/messages`): `{type:'error', error:{type,message}, request_id}`. */
// Anthropic's errors have no `param`: the offending field, when known, is named in the message.
export function renderAnthropicError(problem: DescribedError, requestId: string): RenderedError<AnthropicErrorBody> {
  const field = typeof problem.details?.field === 'string' && problem.details.field !== '' ? problem.details.field : null;
  const reason = typeof problem.details?.reason === 'string' ? problem.details.reason : null;
  const message = field && reason ? `${problem.message}: ${field}: ${reason}` : field ? `${problem.message}: ${field}` : problem.message;
  return {
    status: problem.status,
    headers: errorHeaders(problem.headers, requestId),
    body: { type: 'error', error: { type: ANTHROPIC_TYPE[problem.code], message }, request_id: requestId },
  };
}
