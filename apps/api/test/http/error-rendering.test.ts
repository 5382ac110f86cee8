import { AppError, describeError, ERROR_STATUS, type ErrorCode } from '@maas/api';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { renderAnthropicError, renderChatStreamError, renderOpenAiError, renderRestError } from '../../src/surfaces/errors/index.js';

// The one conversion and the renderers beside it, without a server: every contract code in every
// wire format, and the thrown values that are not AppErrors.

const CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

describe('describeError, the one conversion', () => {
  it('gives every contract code its status, message and headers', () => {
    for (const code of CODES) {
      const problem = describeError(new AppError(code, { headers: { 'retry-after': '3' } }), 'en');
      expect(problem).toMatchObject({ status: ERROR_STATUS[code], code, details: null, headers: { 'retry-after': '3' } });
      expect(problem.message.length).toBeGreaterThan(0);
    }
  });

  it.each([
    ['invalid JSON', { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 }, 'INVALID_REQUEST', 'The request body is not valid JSON'],
    [
      'an empty JSON body',
      { code: 'FST_ERR_CTP_EMPTY_JSON_BODY', statusCode: 400 },
      'INVALID_REQUEST',
      'The request body is not valid JSON',
    ],
    ['JSON nested too deeply', { code: 'MAAS_JSON_TOO_DEEP', statusCode: 400 }, 'INVALID_REQUEST', 'The request body is nested too deeply'],
    ['a body too large', { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }, 'PAYLOAD_TOO_LARGE', 'Request body too large'],
    [
      'an unsupported media type',
      { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 },
      'INVALID_REQUEST',
      'Unsupported Content-Type; use application/json',
    ],
    ['a bare 415', { statusCode: 415 }, 'INVALID_REQUEST', 'Unsupported Content-Type; use application/json'],
    ['a 408', { statusCode: 408 }, 'INVALID_REQUEST', 'The request was not received in time'],
    ['a 431', { statusCode: 431 }, 'INVALID_REQUEST', 'The request headers are too large'],
    ['a 429', { statusCode: 429 }, 'RATE_LIMITED', 'Too many requests'],
    ['a 404', { code: 'FST_ERR_NOT_FOUND', statusCode: 404 }, 'NOT_FOUND', 'Resource not found'],
    ['a 405', { statusCode: 405 }, 'INVALID_REQUEST', 'Invalid request parameters'],
    ['a 503 (not trusted from a thrown value)', { statusCode: 503 }, 'INTERNAL_ERROR', 'Internal server error'],
  ] as const)('turns a host error (%s) into its own code and message', (_label, fields, code, message) => {
    const problem = describeError(Object.assign(new Error('internal wording'), fields), 'en');
    expect(problem).toEqual({ status: ERROR_STATUS[code], code, message, details: null, headers: {} });
  });

  it('reports a ZodError with its first field and every issue', () => {
    const parsed = z.object({ name: z.string(), age: z.number() }).safeParse({ name: 1 });
    const problem = describeError(parsed.error, 'en');
    expect(problem).toMatchObject({ status: 400, code: 'INVALID_REQUEST', details: { field: 'name' } });
    expect((problem.details?.issues as unknown[]).length).toBe(2);
  });

  it('never lets an unknown failure say what it is', () => {
    for (const thrown of [new Error('relation "secret" does not exist'), 'a string', null, undefined, { statusCode: 'x' }]) {
      expect(describeError(thrown, 'en')).toEqual({
        status: 500,
        code: 'INTERNAL_ERROR',
        message: 'Internal server error',
        details: null,
        headers: {},
      });
    }
  });
});

describe('the renderers', () => {
  const requestId = 'req_render_1';

  it('render every code with its status, the error headers and x-request-id, in every format', () => {
    for (const code of CODES) {
      const problem = describeError(new AppError(code, { headers: { 'retry-after': '3' } }), 'en');
      for (const rendered of [
        renderRestError(problem, requestId),
        renderOpenAiError(problem, requestId),
        renderAnthropicError(problem, requestId),
      ]) {
        expect(rendered.status).toBe(ERROR_STATUS[code]);
        expect(rendered.headers).toEqual({ 'retry-after': '3', 'x-request-id': requestId });
      }
    }
  });

  it('write the REST envelope {error:{code,message,details,request_id}}', () => {
    const problem = describeError(new AppError('CONFLICT', { details: { field: 'name' } }), 'en');
    expect(renderRestError(problem, requestId).body).toEqual({
      error: { code: 'CONFLICT', message: problem.message, details: { field: 'name' }, request_id: requestId },
    });
  });

  it("write OpenAI's {error:{message,type,param,code}}, naming the offending field as param", () => {
    const invalid = describeError(new AppError('INVALID_REQUEST', { details: { field: 'messages.0.role' } }), 'en');
    expect(renderOpenAiError(invalid, requestId).body).toEqual({
      error: { message: invalid.message, type: 'invalid_request_error', param: 'messages.0.role', code: null },
    });
    const limited = describeError(new AppError('RATE_LIMITED'), 'en');
    expect(renderOpenAiError(limited, requestId).body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
  });

  it.each([
    ['INVALID_REQUEST', 'invalid_request_error'],
    ['UNAUTHORIZED', 'authentication_error'],
    ['PAYMENT_REQUIRED', 'billing_error'],
    ['FORBIDDEN', 'permission_error'],
    ['NOT_FOUND', 'not_found_error'],
    ['PAYLOAD_TOO_LARGE', 'request_too_large'],
    ['RATE_LIMITED', 'rate_limit_error'],
    ['INTERNAL_ERROR', 'api_error'],
    ['SERVICE_UNAVAILABLE', 'overloaded_error'],
  ] as const)("write Anthropic's {type:'error', error:{type,message}} with %s as %s", (code, type) => {
    const problem = describeError(new AppError(code), 'en');
    expect(renderAnthropicError(problem, requestId).body).toEqual({
      type: 'error',
      error: { type, message: problem.message },
      request_id: requestId,
    });
  });

  it('write one chat stream error event, with the bill when the call got that far', () => {
    const billed = { conversation_id: 'conv_1', tokens_used: { input: 3, output: 5 }, cost: 0.0001 };
    const cut = new AppError('UPSTREAM_ERROR', { message: 'STREAM_INTERRUPTED' });
    const withBill = renderChatStreamError(cut, 'en', requestId, billed);
    expect(withBill).toEqual({
      type: 'error',
      error: { code: 'UPSTREAM_ERROR', message: 'The model stream was interrupted', request_id: requestId },
      ...billed,
    });
    // A failure with no bill (the host's last resort, after the stream opened) has the same shape, less the bill.
    const withoutBill = renderChatStreamError(new Error('secret internals'), 'en', requestId);
    expect(withoutBill).toEqual({
      type: 'error',
      error: { code: 'INTERNAL_ERROR', message: 'Internal server error', request_id: requestId },
    });
  });
});
