import type { DescribedError, ErrorCode } from '@maas/api';
import { errorHeaders, type RenderedError } from './rendered.js';

/** The `/api/v1` contract's error body. */
export interface Envelope {
  error: { code: ErrorCode; message: string; details: Record<string, unknown> | null; request_id: string };
}

/** REST (`/api/v1`, and the host's own answers): `{error:{code,message,details,request_id}}`. */
export function renderRestError(problem: DescribedError, requestId: string): RenderedError<Envelope> {
  return {
    status: problem.status,
    headers: errorHeaders(problem.headers, requestId),
    body: { error: { code: problem.code, message: problem.message, details: problem.details, request_id: requestId } },
  };
}
