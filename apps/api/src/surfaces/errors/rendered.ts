import { randomUUID } from 'node:crypto';

/**
 * One error as a wire format writes it: the HTTP status, the headers (always `x-request-id`, plus
 * any the error asks for, such as Retry-After) and the body. Every renderer in this folder returns
 * one, from the single DescribedError that `describeError` made of whatever was thrown.
 */
export interface RenderedError<Body> {
  status: number;
  headers: Record<string, string>;
  body: Body;
}

export const REQUEST_ID_HEADER = 'x-request-id';

/** A fresh request id, for requests that did not bring a well-formed one of their own. */
export function newRequestId(): string {
  return `req_${randomUUID().replaceAll('-', '')}`;
}

/** The error's own headers and the request id, the same way for every wire format. */
export function errorHeaders(headers: Record<string, string>, requestId: string): Record<string, string> {
  return { ...headers, [REQUEST_ID_HEADER]: requestId };
}
