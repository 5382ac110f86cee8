import { errorFromBody } from './errors.js';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

function isTrpcErrorBody(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const error = (body as { error?: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number';
}

function procedurePath(url: string): string | null {
  const match = /\/trpc\/([^?]+)/.exec(url);
  return match?.[1] ? decodeURIComponent(match[1]) : null;
}

/**
 * The fetch given to tRPC's httpLink. tRPC reads every answer as a tRPC body; some errors are not
 * one: the host's own 404/413/429 envelopes (`{error:{code:"RATE_LIMITED",…}}`) or a proxy's HTML
 * 502. Those become a MaasError here, with their status, code and Retry-After kept.
 */
export function trpcFetch(fetchImpl: FetchLike): FetchLike {
  return async (input, init) => {
    const response = await fetchImpl(input, init);
    if (response.ok) return response;
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (isTrpcErrorBody(body)) {
      return new Response(text, { status: response.status, statusText: response.statusText, headers: response.headers });
    }
    throw errorFromBody(response.status, response.headers, text, procedurePath(input));
  };
}
