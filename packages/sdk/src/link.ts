import type { Operation, OperationContext, TRPCLink } from '@trpc/client';
import type { Unsubscribable } from '@trpc/server/observable';
import { observable } from '@trpc/server/observable';
import { abortedError, type MaasError, toMaasError } from './errors.js';
import { type RetryPolicy, retryDelay } from './retry.js';
import type { AppRouter } from './router.js';
import type { Credentials, Session } from './session.js';

/**
 * Per-call options, passed as tRPC's request context:
 * `client.users.profile.query(undefined, { signal, context: { timeoutMs: 5_000 } })`.
 */
export interface MaasCallContext {
  /** Overrides the client's `timeoutMs` for each attempt of this call (0: no timeout). */
  timeoutMs?: number;
  /** Overrides the client's `maxRetries` for this call. */
  maxRetries?: number;
  /** Sent as `Idempotency-Key`; makes a mutation safe to retry after a 5xx or a network error. */
  idempotencyKey?: string;
  /** Marks a mutation as safe to repeat (queries always are). */
  idempotent?: boolean;
  /** Extra headers for this call. */
  headers?: Record<string, string>;
}

/** Filled in by the transport's `headers()` with what the attempt was really sent with. */
export const SENT_CREDENTIALS = 'maas.sentCredentials';

export interface ResilienceSettings {
  session: Session;
  timeoutMs: number;
  retry: RetryPolicy;
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback;
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'string');
}

/** The call's options, read defensively: the context is any JSON-ish record the caller passed. */
export function callContext(context: OperationContext): MaasCallContext {
  const { timeoutMs, maxRetries, idempotencyKey, idempotent, headers } = context;
  return {
    ...(typeof timeoutMs === 'number' ? { timeoutMs } : {}),
    ...(typeof maxRetries === 'number' ? { maxRetries } : {}),
    ...(typeof idempotencyKey === 'string' ? { idempotencyKey } : {}),
    ...(idempotent === true ? { idempotent } : {}),
    ...(isStringRecord(headers) ? { headers } : {}),
  };
}

/** The record the transport fills in for one attempt (see SENT_CREDENTIALS). */
export function sentCredentialsOf(context: OperationContext): Credentials | undefined {
  const sent = context[SENT_CREDENTIALS];
  return typeof sent === 'object' && sent !== null && 'kind' in sent && 'token' in sent ? (sent as Credentials) : undefined;
}

/**
 * One link for the SDK's call semantics, in front of `httpLink`: a timeout per attempt, the
 * caller's AbortSignal, retries with backoff (honouring Retry-After), one token refresh on a 401,
 * and every failure turned into a MaasError.
 */
export function resilienceLink(settings: ResilienceSettings): TRPCLink<AppRouter> {
  return () =>
    ({ op, next }) =>
      observable((observer) => {
        const options = callContext(op.context);
        const timeoutMs = numberOr(options.timeoutMs, settings.timeoutMs);
        const policy: RetryPolicy = { ...settings.retry, maxRetries: numberOr(options.maxRetries, settings.retry.maxRetries) };
        const repeatable = op.type === 'query' || options.idempotent === true || options.idempotencyKey !== undefined;

        let done = false;
        let retries = 0;
        let refreshed = false;
        let attempt: {
          controller: AbortController;
          subscription: Unsubscribable | null;
          timer: ReturnType<typeof setTimeout> | undefined;
        } | null = null;
        let wait: ReturnType<typeof setTimeout> | undefined;

        const stopAttempt = () => {
          if (!attempt) return;
          clearTimeout(attempt.timer);
          attempt.subscription?.unsubscribe();
          attempt = null;
        };
        const cleanUp = () => {
          done = true;
          clearTimeout(wait);
          op.signal?.removeEventListener('abort', onAbort);
        };
        const fail = (error: MaasError) => {
          if (done) return;
          cleanUp();
          stopAttempt();
          observer.error(error);
        };
        function onAbort() {
          attempt?.controller.abort(op.signal?.reason);
          fail(abortedError(op.path, op.signal?.reason));
        }

        const start = () => {
          if (done) return;
          const controller = new AbortController();
          const sent: Credentials = { kind: 'none', token: null };
          let timedOut = false;
          const current: NonNullable<typeof attempt> = { controller, subscription: null, timer: undefined };
          attempt = current;
          if (timeoutMs > 0) {
            current.timer = setTimeout(() => {
              timedOut = true;
              controller.abort();
            }, timeoutMs);
          }
          const attemptOp: Operation = { ...op, signal: controller.signal, context: { ...op.context, [SENT_CREDENTIALS]: sent } };
          const subscription = next(attemptOp).subscribe({
            next(envelope) {
              observer.next(envelope);
            },
            complete() {
              clearTimeout(current.timer);
              if (done) return;
              cleanUp();
              observer.complete();
            },
            error(cause) {
              clearTimeout(current.timer);
              if (done || attempt !== current) return;
              attempt = null;
              const error = toMaasError(cause, { path: op.path, ...(timedOut ? { timedOutAfterMs: timeoutMs } : {}) });
              onFailure(error, sent);
            },
          });
          // httpLink may fail synchronously, in which case the attempt is already over.
          if (attempt === current) current.subscription = subscription;
        };

        const onFailure = (error: MaasError, sent: Credentials) => {
          if (error.status === 401 && !refreshed && settings.session.canRefresh(op.path, sent)) {
            refreshed = true;
            settings.session.refreshAfter(sent).then(
              (renewed) => (renewed ? start() : fail(error)),
              () => fail(error),
            );
            return;
          }
          retries += 1;
          const delay = retryDelay(error, retries, repeatable, policy);
          if (delay === null) return fail(error);
          wait = setTimeout(start, delay);
        };

        if (op.signal?.aborted) {
          observer.error(abortedError(op.path, op.signal.reason));
          return () => {};
        }
        op.signal?.addEventListener('abort', onAbort, { once: true });
        start();
        return () => {
          cleanUp();
          stopAttempt();
        };
      });
}
