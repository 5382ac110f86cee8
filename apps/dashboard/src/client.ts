import type { AppRouter } from '@maas/api';
import { QueryClient } from '@tanstack/react-query';
import { createTRPCClient, httpBatchLink, httpBatchStreamLink, splitLink, TRPCClientError } from '@trpc/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import { storedLocale } from './i18n.js';
import { authFetch } from './session.js';

export { hasSession, setSession, signOut } from './session.js';

function headers(): Record<string, string> {
  return { 'accept-language': storedLocale() };
}

const url = '/trpc';
// authFetch adds the bearer token, refreshing it (one refresh at a time) when expired or on a 401.
const fetch = authFetch;

export const trpcClient = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      condition: (op) => op.path === 'chat.stream',
      true: httpBatchStreamLink({ url, headers, fetch, maxItems: 1 }),
      false: httpBatchLink({ url, headers, fetch, maxItems: 10 }),
    }),
  ],
});

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

/** A REST error answer ({ error: { code, message } }) as an Error with the API's localized message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** JSON over the REST surface (/api/v1) for endpoints the typed client does not know yet. */
export async function apiJson<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const response = await authFetch(`/api/v1${path}`, {
    method: init.method ?? 'GET',
    headers: init.body === undefined ? {} : { 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  const data = text ? (JSON.parse(text) as unknown) : null;
  if (!response.ok) {
    const error = (data as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(response.status, error?.code ?? String(response.status), error?.message ?? response.statusText);
  }
  return data as T;
}

/** A multipart upload to the REST surface (POST /api/v1/files). */
export async function apiUpload<T>(path: string, form: FormData): Promise<T> {
  const response = await authFetch(`/api/v1${path}`, { method: 'POST', body: form });
  const data = (await response.json().catch(() => null)) as unknown;
  if (!response.ok) {
    const error = (data as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(response.status, error?.code ?? String(response.status), error?.message ?? response.statusText);
  }
  return data as T;
}

/** The API's (localized) message for any error; tRPC errors carry the envelope's message. */
export function errorMessage(error: unknown): string {
  if (error instanceof TRPCClientError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

export function isUnauthorized(error: unknown): boolean {
  if (error instanceof ApiError) return error.status === 401;
  return error instanceof TRPCClientError && (error.data as { httpStatus?: number } | undefined)?.httpStatus === 401;
}

export function makeQueryClient(onUnauthorized: () => void): QueryClient {
  const client: QueryClient = new QueryClient({
    defaultOptions: {
      queries: {
        retry: (count, error) => !isUnauthorized(error) && count < 1,
        refetchOnWindowFocus: false,
        staleTime: 5_000,
      },
    },
  });
  client.getQueryCache().subscribe((event) => {
    if (event.type === 'updated' && event.action.type === 'error' && isUnauthorized(event.action.error)) onUnauthorized();
  });
  return client;
}
