import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

/** A whole upstream answer, read into memory. */
export interface BufferedResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface BufferedRequestLimits {
  /** A 2xx body larger than this fails with ResponseTooLargeError (a hostile upstream cannot make us buffer without end). */
  maxBodyBytes: number;
  /** Other answers are only read for their error message: cut here, and the connection dropped. */
  maxErrorBytes: number;
}

export class ResponseTooLargeError extends Error {
  constructor(limit: number) {
    super(`response body larger than ${limit} bytes`);
    this.name = 'ResponseTooLargeError';
  }
}

/** The error an aborted signal fails a request with: its reason when that is an Error. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  const error = new Error('request aborted');
  error.name = 'AbortError';
  return error;
}

/**
 * One request whose answer is collected straight from undici's dispatch callbacks. undici's
 * `request()` gives every answer an async resource and a Readable body stream; a non-streaming
 * completion needs neither, and in the gateway benchmark they were a visible share of the CPU
 * spent per call. Rejects with undici's own errors (timeouts, connection failures), the signal's
 * reason when aborted, or ResponseTooLargeError.
 */
export function requestBuffered(
  dispatcher: Dispatcher,
  options: Dispatcher.DispatchOptions,
  signal: AbortSignal | undefined,
  limits: BufferedRequestLimits,
): Promise<BufferedResponse> {
  return new Promise<BufferedResponse>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal));
      return;
    }
    let controller: Dispatcher.DispatchController | null = null;
    let statusCode = 0;
    let headers: IncomingHttpHeaders = {};
    let chunks: Buffer[] = [];
    let size = 0;
    let done = false;

    const onAbort = () => {
      if (signal) finish(abortError(signal));
    };
    function finish(error: Error | null): void {
      if (done) return;
      done = true;
      signal?.removeEventListener('abort', onAbort);
      if (error) {
        // Stops the exchange; undici drops the connection rather than reuse a half-read one.
        if (controller && !controller.aborted) controller.abort(error);
        reject(error);
        return;
      }
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
      chunks = [];
      resolve({ statusCode, headers, body });
    }
    signal?.addEventListener('abort', onAbort, { once: true });

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(started) {
        controller = started;
        if (done) started.abort(new Error('request aborted'));
      },
      onResponseStart(_controller, status, responseHeaders) {
        statusCode = status;
        headers = responseHeaders;
      },
      onResponseData(current, chunk) {
        if (done) return;
        const ok = statusCode >= 200 && statusCode < 300;
        const limit = ok ? limits.maxBodyBytes : limits.maxErrorBytes;
        if (size + chunk.length > limit) {
          if (ok) {
            finish(new ResponseTooLargeError(limit));
            return;
          }
          // Enough of the error body for its message; the rest is not worth reading.
          chunks.push(chunk.subarray(0, limit - size));
          size = limit;
          finish(null);
          current.abort(new Error('error body cut'));
          return;
        }
        chunks.push(chunk);
        size += chunk.length;
      },
      onResponseEnd() {
        finish(null);
      },
      onResponseError(_controller, error) {
        finish(error);
      },
    };
    try {
      dispatcher.dispatch(options, handler);
    } catch (error) {
      finish(error instanceof Error ? error : new Error(String(error)));
    }
  });
}
