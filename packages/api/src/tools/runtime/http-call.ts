import { request } from 'undici';
import { signedHeaders } from './signing.js';
import type { ToolRuntime } from './state.js';
import { describeTransportError, ResponseTooLargeError, resultText, type ToolTransportResult } from './transport.js';

export interface HttpToolCall {
  endpointUrl: string;
  toolId: string;
  version: string;
  functionName: string;
  arguments: Record<string, unknown>;
  callId: string;
  /** The installer's config (secret fields included): for the author's service only, never a model. */
  config: Record<string, unknown>;
  requestId: string;
  /** The tool's signing secret; null for a tool that has none (an unsigned call). */
  signingSecret: string | null;
  signal: AbortSignal;
  /** Aborted when the call's time is up (part of `signal`): tells a timeout from a cancelled call. */
  timeoutSignal: AbortSignal;
  maxResponseBytes: number;
}

/** Longest part of an error answer quoted back to the model. */
const ERROR_QUOTE_CHARS = 300;

/**
 * One POST to an http tool, signed, never retried (a tool call may not be idempotent) and never
 * redirected (undici's `request` follows none). The answer is read up to the size cap.
 */
export async function callHttpTool(runtime: ToolRuntime, call: HttpToolCall): Promise<ToolTransportResult> {
  const url = new URL(call.endpointUrl);
  const body = JSON.stringify({
    tool_id: call.toolId,
    version: call.version,
    function: call.functionName,
    arguments: call.arguments,
    call_id: call.callId,
    config: call.config,
  });
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/plain;q=0.9, */*;q=0.1',
    'x-request-id': call.requestId,
    ...(call.signingSecret === null ? {} : signedHeaders(call.signingSecret, body)),
  };
  try {
    const response = await request(url, {
      method: 'POST',
      headers,
      body,
      dispatcher: runtime.dispatcherFor(url),
      signal: call.signal,
    });
    const text = await readCapped(response.body, call.maxResponseBytes, response.headers['content-length']);
    const status = response.statusCode;
    if (status >= 200 && status < 300) return { kind: 'ok', text: answerText(text, response.headers['content-type']), isError: false };
    const quoted = text.trim().slice(0, ERROR_QUOTE_CHARS);
    return { kind: 'error', message: `the tool answered HTTP ${status}${quoted ? `: ${quoted}` : ''}` };
  } catch (error) {
    if (call.timeoutSignal.aborted) return { kind: 'timeout' };
    if (call.signal.aborted) return { kind: 'error', message: 'the call was cancelled' };
    return { kind: 'error', message: describeTransportError(error) };
  }
}

function answerText(text: string, contentType: string | string[] | undefined): string {
  const type = (Array.isArray(contentType) ? contentType[0] : contentType)?.toLowerCase() ?? '';
  if (!type.includes('json')) return text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text;
  }
  // The documented shape is `{ "result": … }`; any other JSON is the result itself.
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && 'result' in parsed) {
    return resultText(parsed.result);
  }
  return resultText(parsed);
}

/** Reads the body as UTF-8, refusing (and dropping the connection) past `limit` bytes. */
async function readCapped(
  body: AsyncIterable<Buffer> & { destroy(error?: Error): unknown },
  limit: number,
  contentLength: string | string[] | undefined,
): Promise<string> {
  const declared = Number(Array.isArray(contentLength) ? contentLength[0] : contentLength);
  if (Number.isFinite(declared) && declared > limit) {
    const tooLarge = new ResponseTooLargeError(limit);
    body.destroy(tooLarge);
    throw tooLarge;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) {
      const tooLarge = new ResponseTooLargeError(limit);
      body.destroy(tooLarge);
      throw tooLarge;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
