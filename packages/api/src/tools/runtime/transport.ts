/*
 * What calling a tool function over the wire gives the runner, whatever the kind of tool (http,
 * mcp). The runner turns it into the call's status: only `ok` without `isError` is charged.
 */
export type ToolTransportResult = { kind: 'ok'; text: string; isError: boolean } | { kind: 'timeout' } | { kind: 'error'; message: string };

/** Raised while reading an answer larger than MAAS_TOOL_MAX_RESPONSE_BYTES. */
export class ResponseTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the tool's answer is larger than ${limit} bytes`);
    this.name = 'ResponseTooLargeError';
  }
}

/** The result as the model reads it: strings as they are, anything else as JSON. */
export function resultText(result: unknown): string {
  if (typeof result === 'string') return result;
  if (result === undefined) return 'null';
  return JSON.stringify(result);
}

/** The innermost message and code of a failed connection (undici wraps them), for the call's error. */
export function describeTransportError(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4; depth++) {
    if (current instanceof ResponseTooLargeError) return current.message;
    const cause = current instanceof Error ? current.cause : undefined;
    if (cause === undefined) break;
    current = cause;
  }
  const code = (current as { code?: unknown } | null)?.code;
  const message = current instanceof Error ? current.message : String(current);
  return `the tool could not be reached: ${message}${typeof code === 'string' && !message.includes(code) ? ` (${code})` : ''}`.slice(
    0,
    500,
  );
}
