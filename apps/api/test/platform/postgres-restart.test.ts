import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import {
  apiClient,
  createMockProvider,
  createRoutedModel,
  type MockUpstream,
  setRole,
  signUp,
  startMockUpstream,
  startTestServer,
  type TestServer,
} from '../kit/index.js';
import { brokenInvariants, readBooks } from './books.js';
import { privatePostgresUnavailable, startPrivatePostgres, type PrivatePostgres } from './private-services.js';
import { type AttemptResult, countByStatus, sleep, startSteadyLoad, waitUntil } from './steady-load.js';

/*
 * PostgreSQL restarted under load. The test brings its own cluster (initdb in a temp dir, a free
 * port), so it runs the same whatever DATABASE_URL says and never touches the shared server.
 * Two faults per run: a stop / 2 s outage / start, then a `pg_ctl restart -m fast`. Two runs: model
 * calls funded by wallet leases (the default), and by per-call reservations (what every call uses
 * near the edge of a balance, forced here with MAAS_BILLING_LEASES=0).
 */

const unavailable = privatePostgresUnavailable();
if (unavailable) console.warn(`postgres-restart: skipped, cannot start a private PostgreSQL: ${unavailable}`);

/** No request may take longer than this, outage or not (the pool's connect timeout is 5 s). */
const HANG_BOUND_MS = 8_000;
const OUTAGE_MS = 2_000;

/** `57P01 terminating connection…` from an error and its causes, for the failure report. */
function describeCause(error: unknown): string {
  const parts: string[] = [];
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 4; depth++) {
    const code = 'code' in current ? String(current.code) : '';
    const message = 'message' in current ? String(current.message).slice(0, 120) : '';
    parts.push(`${code} ${message}`.trim());
    current = 'cause' in current ? current.cause : undefined;
  }
  return parts.join(' <- ') || String(error);
}

const SCENARIOS: { funding: string; env: Record<string, string> }[] = [
  { funding: 'wallet leases', env: {} },
  { funding: 'per-call reservations', env: { MAAS_BILLING_LEASES: '0' } },
];

describe.skipIf(unavailable !== null)('PostgreSQL restarted under load', () => {
  let pg: PrivatePostgres;
  let upstream: MockUpstream;
  const servers: TestServer[] = [];

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    // slow-stream keeps each call in flight a while (40 ms before a JSON body, 40 ms per chunk),
    // so outages land in the middle of calls, between their reservation and their settlement.
    upstream = await startMockUpstream({ chunkDelayMs: 40 });
  });
  afterAll(async () => {
    for (const server of servers) await server.close().catch(() => {});
    await upstream?.close();
    await pg?.destroy();
  });

  it.each(SCENARIOS)(
    'with $funding: answers 503 during the outage, never another 5xx or a hang, recovers by itself and loses no usage record',
    async ({ funding, env }) => {
      const server = await startTestServer(env, { databaseUrl: pg.url });
      servers.push(server);
      const api = apiClient(server.url);
      const admin = await signUp(api, 'admin');
      await setRole(server, admin.id, 'admin');
      const world = { upstream, server, api, admin };
      const provider = await createMockProvider(world);
      const model = await createRoutedModel(world, [{ provider_id: provider.id, upstream_model: 'mock-slow-stream' }]);
      const user = await signUp(api);
      const keyRes = await api.post('/api/v1/api-keys', { name: 'restart' }, user.token);
      expect(keyRes.status).toBe(201);
      const key = keyRes.body.key as string;

      const chat = async (stream: boolean, n: number): Promise<AttemptResult> => {
        const kind = stream ? 'chat-stream' : 'chat';
        const res = await fetch(`${server.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
          body: JSON.stringify({ model: model.name, stream, max_tokens: 64, messages: [{ role: 'user', content: `load ${n}` }] }),
          signal: AbortSignal.timeout(HANG_BOUND_MS),
        });
        const text = await res.text();
        if (res.status === 200 && stream) {
          const completed = text.includes('data: [DONE]') && !text.includes('"error"');
          return { kind, status: 200, shapeOk: true, completedCall: completed, ...(completed ? {} : { note: text.slice(-300) }) };
        }
        if (res.status === 200) return { kind, status: 200, shapeOk: true, completedCall: true };
        // OpenAI clients read { error: { message, type, code } }.
        const body = JSON.parse(text) as { error?: { message?: unknown; type?: unknown; code?: unknown } };
        const shapeOk =
          typeof body.error?.message === 'string' &&
          typeof body.error.type === 'string' &&
          (res.status !== 503 || body.error.code === 'service_unavailable');
        return { kind, status: res.status, shapeOk, note: text.slice(0, 300) };
      };
      const get = async (path: string): Promise<AttemptResult> => {
        const res = await fetch(`${server.url}${path}`, {
          headers: { authorization: `Bearer ${user.token}` },
          signal: AbortSignal.timeout(HANG_BOUND_MS),
        });
        const body = (await res.json()) as { error?: { code?: unknown; request_id?: unknown } };
        const envelopeOk =
          (res.status === 503 ? body.error?.code === 'SERVICE_UNAVAILABLE' : typeof body.error?.code === 'string') &&
          body.error?.request_id === res.headers.get('x-request-id');
        const shapeOk = res.status === 200 || envelopeOk;
        return {
          kind: `GET ${path}`,
          status: res.status,
          shapeOk,
          ...(res.status === 200 ? {} : { note: JSON.stringify(body).slice(0, 300) }),
        };
      };
      const request = async (n: number): Promise<AttemptResult> => {
        try {
          switch (n % 4) {
            case 0:
              return await get('/api/v1/users/profile');
            case 1:
              return await chat(false, n);
            case 2:
              return await get('/api/v1/wallet');
            default:
              return await chat(true, n);
          }
        } catch (error) {
          const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
          return {
            kind: ['profile', 'chat', 'wallet', 'chat-stream'][n % 4] ?? 'unknown',
            status: 0,
            shapeOk: false,
            note: timedOut ? 'hang' : String(error),
          };
        }
      };

      const healthz = async () => (await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(HANG_BOUND_MS) })).status;
      const background = server.server.platform.background;
      const load = startSteadyLoad(8, request);
      // What the server saw behind its 5xx answers on /api/v1 (it logs them), by phase: the cause of
      // any failure the counts show.
      const causes = new Map<string, number>();
      const errorLog = vi.spyOn(server.server.app.log, 'error').mockImplementation((...args: unknown[]) => {
        const first = args[0];
        const err = typeof first === 'object' && first !== null && 'err' in first ? first.err : first;
        const key = `${load.phase}: ${describeCause(err)}`;
        causes.set(key, (causes.get(key) ?? 0) + 1);
      });
      onTestFinished(() => errorLog.mockRestore());
      // A failed expectation must not leave the workers running.
      onTestFinished(() => load.stop().then(() => {}));
      const healthDuringOutage: number[] = [];

      interface Fault {
        name: string;
        inject(): Promise<void>;
      }
      const faults: Fault[] = [
        {
          // The database goes away (every connection terminated), stays away 2 s, comes back.
          name: `stop -m fast, ${OUTAGE_MS} ms down, start`,
          inject: async () => {
            await pg.stop();
            healthDuringOutage.push(await healthz());
            await sleep(OUTAGE_MS);
            await pg.start();
          },
        },
        // Connections terminated, the server back within a fraction of a second.
        { name: 'restart -m fast', inject: () => pg.restart() },
      ];
      const perFault: { name: string; recoveryMs: number; settlementsGivenUp: number }[] = [];

      await sleep(1_000);
      for (const [index, fault] of faults.entries()) {
        const givenUpBefore = background.failureCount;
        load.setPhase(`outage ${index + 1}`);
        await fault.inject();
        load.setPhase(`recovery ${index + 1}`);
        // Recovered = the load itself (an extra probe would skew the counts) sees a GET and a model
        // call succeed again, without anything restarting the app.
        const since = load.attempts.length;
        const recoveryMs = await waitUntil(async () => {
          const later = load.attempts.slice(since).filter((a) => a.phase === `recovery ${index + 1}` && a.status === 200);
          return later.some((a) => a.kind.startsWith('GET')) && later.some((a) => a.completedCall);
        }, 15_000);
        load.setPhase(`after ${index + 1}`);
        // Long enough for the retries of settlements that failed during the fault to finish.
        await sleep(2_000);
        perFault.push({ name: fault.name, recoveryMs, settlementsGivenUp: background.failureCount - givenUpBefore });
      }
      const attempts = await load.stop();
      const healthAfter = await healthz();

      // Everything that left the response path is written (or has given up) before we count.
      await background.drain();
      const books = await readBooks(server.server.platform.db, user.id);
      const completedCalls = attempts.filter((a) => a.completedCall).length;
      const successRecords = books.usageRecords.byStatus.success ?? 0;
      const lostRecords = Math.max(0, completedCalls - successRecords);
      const cutStreams = attempts.filter((a) => a.status === 200 && a.completedCall === false).length;

      const failures = attempts.filter((a) => a.status !== 200);
      const inPhase = (prefix: string) => attempts.filter((a) => a.phase.startsWith(prefix));
      const slowest = Math.max(...attempts.map((a) => a.ms));
      console.info(
        [
          `postgres restart under load, calls funded by ${funding}: ${attempts.length} requests tried, ${faults.length} faults injected (${faults.map((f) => f.name).join('; ')})`,
          `  by status: ${JSON.stringify(countByStatus(attempts))}; failures by status: ${JSON.stringify(countByStatus(failures))}`,
          ...perFault.map((fault, i) => {
            const phase = (name: string) => JSON.stringify(countByStatus(inPhase(`${name} ${i + 1}`)));
            return `  fault ${i + 1} (${fault.name}), by the phase requests started in: outage ${phase('outage')}, recovery ${phase('recovery')}, after ${phase('after')}; recovered in ${fault.recoveryMs} ms; settlements given up ${fault.settlementsGivenUp}`;
          }),
          `  slowest request ${slowest} ms; /healthz during outage ${healthDuringOutage.join(',')}, after ${healthAfter}`,
          `  model calls completed for the client: ${completedCalls}; streams answered 200 but cut: ${cutStreams}; success usage records: ${successRecords}; records lost: ${lostRecords}`,
          `  reservations ${books.reservations.total} (still held after drain ${books.reservations.held}), leases ${books.leases.total} (still open ${books.leases.open}); settlements given up: ${background.failureCount}`,
          `  wallet balance ${books.balanceNano}, ledger sum ${books.ledgerSumNano}, held ${books.heldNano}`,
        ].join('\n'),
      );
      const odd = failures.filter((a) => a.status !== 503 || !a.shapeOk);
      // Started and ended after a recovery: a request that started there but ran into the next
      // fault is that fault's failure.
      const lateFailures = failures.filter((a) => a.phase.startsWith('after') && a.endPhase === a.phase);
      if (lateFailures.length > 0) console.info('failures after recovery:', lateFailures.slice(0, 5));
      console.info(
        'causes of 5xx on /api/v1 by phase:',
        [...causes].map(([key, n]) => `${n} × ${key}`),
      );
      if (odd.length > 0) {
        const failedCalls = await server.server.platform.db
          .selectFrom('usage_records')
          .select(['status', 'error'])
          .where('user_id', '=', user.id)
          .where('status', '!=', 'success')
          .execute();
        console.info('unexpected failures:', odd.slice(0, 5), 'failed model calls:', failedCalls.slice(0, 5));
      }

      expect(perFault).toHaveLength(2);
      // The outage was real: requests failed during it, and /healthz said so.
      expect(failures.length).toBeGreaterThan(0);
      expect(healthDuringOutage).toEqual([503]);
      expect(healthAfter).toBe(200);
      // Every failure is a 503 in its face's shape: never a 500, never a hang (status 0).
      expect(odd).toEqual([]);
      expect(slowest).toBeLessThan(HANG_BOUND_MS);
      // It recovered by itself, and stayed recovered.
      expect(inPhase('after').length).toBeGreaterThan(20);
      expect(lateFailures).toEqual([]);
      expect(countByStatus(attempts.slice(-20))).toEqual({ 200: 20 });
      expect(cutStreams).toBe(0);
      // The books balance whatever happened.
      const broken = brokenInvariants(books);
      expect(broken.money).toEqual([]);
      // SETTLEMENT UNDER OUTAGE (owned by the settlement code in packages/api/src/chat/model-call.ts,
      // billing/reservations.ts, core/platform.ts, not by this test): every call the client saw
      // complete must have its usage record, and no hold may be left once the instance has drained.
      // It fails with per-call reservations while their settlement (core/background-work.ts: 5
      // attempts, about 1.5 s of backoff) gives up during a 2 s outage: the call was answered 200,
      // its reservation stays held and it never gets a usage record or a charge.
      expect({ lostRecords, drained: broken.drained }).toEqual({ lostRecords: 0, drained: [] });
    },
    60_000,
  );
});
