// The floor for our REST reads (issue 18 target 1): plain Fastify and pg, the same SQL our services
// send and the same JSON they answer, and nothing else (no tRPC, no zod, no hooks). The bench checks
// at start that both answer byte-for-byte the same body for each measured URL.
//
// With `obligations` as the fifth argument it also does what every answer of ours carries besides
// its body, the way a hand-written server would: the same security headers (read from
// @fastify/helmet as ours are), a request id in `x-request-id`, and the same two Prometheus
// metrics per request. The gap between the two floors is what those cost; the gap above the
// second is our framework (tRPC's middleware chain, the request context, kysely, validation).
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { Counter, Histogram, Registry } from 'prom-client';
import { helmetHeadersOf } from '../src/plugins/static-helmet.js';
import { floorPool, registerFloorRoutes } from './rest-floor-routes.js';

const port = Number(process.argv[2] ?? 4104);
const databaseUrl = process.argv[3]!;
const jwtSecret = process.argv[4]!;
const withObligations = process.argv[5] === 'obligations';

const pool = floorPool(databaseUrl);

const app = Fastify({ logger: false, ...(withObligations ? { genReqId: () => `req_${randomUUID().replaceAll('-', '')}` } : {}) });

if (withObligations) {
  // The options our server gives helmet (server.ts), in production.
  const securityHeaders = await helmetHeadersOf({ contentSecurityPolicy: false, hsts: true });
  const registry = new Registry();
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'requests',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'latency',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  app.addHook('onRequest', (request, reply, done) => {
    for (const [name, value] of securityHeaders) reply.header(name, value);
    reply.header('x-request-id', request.id);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });
}

registerFloorRoutes(app, pool, jwtSecret, '/api/v1');

await app.listen({ port, host: '127.0.0.1' });
process.on('message', (message) => {
  if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
  if (message === 'stop') void pool.end().then(() => process.exit(0));
});
process.send?.('ready');
