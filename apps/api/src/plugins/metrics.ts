import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError, type Telemetry } from '@maas/api';
import type { DatabaseHandle } from '@maas/db';
import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

// Equal-length digests let timingSafeEqual compare secrets of any length in constant time.
function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** What the metrics read of the local model runtime. */
export interface LocalRuntimeGauges {
  readonly loadedModels: readonly string[];
  readonly queueDepth: number;
  readonly generating: number;
  readonly lastTokensPerSecond: number;
  readonly restarts: number;
}

/** Prometheus metrics for one server: HTTP, model calls, upstreams, rate limits, the DB pool. */
export function createMetrics(database: DatabaseHandle) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const httpRequests = new Counter({
    name: 'maas_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'maas_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const modelCalls = new Counter({
    name: 'maas_model_calls_total',
    help: 'Model calls by model and outcome',
    labelNames: ['model', 'status'],
    registers: [registry],
  });
  const modelTokens = new Counter({
    name: 'maas_model_tokens_total',
    help: 'Tokens by model and direction',
    labelNames: ['model', 'direction'],
    registers: [registry],
  });
  const upstreamLatency = new Histogram({
    name: 'maas_upstream_latency_seconds',
    help: 'Model call latency by provider',
    labelNames: ['provider'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const upstreamErrors = new Counter({
    name: 'maas_upstream_errors_total',
    help: 'Failed upstream attempts',
    labelNames: ['provider', 'kind'],
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'maas_rate_limited_total',
    help: 'Requests refused by a rate limit',
    labelNames: ['tier'],
    registers: [registry],
  });
  new Gauge({
    name: 'maas_db_pool_connections',
    help: 'Database pool connections by state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const stats = database.poolStats();
      this.set({ state: 'total' }, stats.total);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'waiting' }, stats.waiting);
    },
  });

  const telemetry: Telemetry = {
    modelCall: (event) => {
      modelCalls.inc({ model: event.modelId, status: event.status });
      if (event.inputTokens) modelTokens.inc({ model: event.modelId, direction: 'input' }, event.inputTokens);
      if (event.outputTokens) modelTokens.inc({ model: event.modelId, direction: 'output' }, event.outputTokens);
      if (event.providerId) upstreamLatency.observe({ provider: event.providerId }, event.latencyMs / 1000);
    },
    upstreamError: (providerId, kind) => upstreamErrors.inc({ provider: providerId, kind }),
  };

  return {
    registry,
    telemetry,
    /** The local model runtime's state (issue 15), read at each scrape. */
    watchLocalRuntime(runtime: LocalRuntimeGauges) {
      new Gauge({
        name: 'maas_local_runtime_loaded_models',
        help: 'Models loaded in the local runtime',
        registers: [registry],
        collect() {
          this.set(runtime.loadedModels.length);
        },
      });
      new Gauge({
        name: 'maas_local_runtime_queue_depth',
        help: 'Calls waiting for a local model',
        registers: [registry],
        collect() {
          this.set(runtime.queueDepth);
        },
      });
      new Gauge({
        name: 'maas_local_runtime_generating',
        help: 'Calls generating on the local runtime',
        registers: [registry],
        collect() {
          this.set(runtime.generating);
        },
      });
      new Gauge({
        name: 'maas_local_runtime_tokens_per_second',
        help: 'Output tokens per second of the last finished local generation',
        registers: [registry],
        collect() {
          this.set(runtime.lastTokensPerSecond);
        },
      });
      new Gauge({
        name: 'maas_local_runtime_restarts',
        help: 'Times the local runtime process was restarted after it stopped',
        registers: [registry],
        collect() {
          this.set(runtime.restarts);
        },
      });
    },
    rateLimited: (tier: string) => rateLimited.inc({ tier }),
    /** Records every response by its route pattern (never the raw URL, which would explode cardinality). */
    register(app: FastifyInstance, token?: string) {
      // A callback, not an async hook: nothing here waits, and a promise per request is not free.
      app.addHook('onResponse', (request, reply, done) => {
        // A route may name the pattern it is counted under (the generated REST reads keep /api/v1/*).
        const { metricsRoute } = request.routeOptions.config;
        const route = metricsRoute ?? request.routeOptions.url ?? 'unmatched';
        httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
        httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
        done();
      });
      // Metrics name private models and their volumes: with a token set, only the scraper reads them.
      const expected = token ? digest(token) : null;
      app.get('/metrics', async (request, reply) => {
        if (expected) {
          const header = request.headers.authorization ?? '';
          const given = header.startsWith('Bearer ') ? digest(header.slice(7)) : null;
          if (!given || !timingSafeEqual(given, expected)) throw new AppError('UNAUTHORIZED');
        }
        void reply.type(registry.contentType);
        return registry.metrics();
      });
    },
  };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route pattern a route's requests are counted under, when not its own. */
    metricsRoute?: string;
  }
}
