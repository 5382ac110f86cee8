// The floor for our REST reads (issue 18 target 1): plain Fastify and pg, the same SQL our services
// send and the same JSON they answer, and nothing else (no tRPC, no zod, no hooks). The bench checks
// at start that both answer byte-for-byte the same body for each measured URL.
//
// With `obligations` as the fifth argument it also does what every answer of ours carries besides
// its body, the way a hand-written server would: the same security headers (read from
// @fastify/helmet as ours are), a request id in `x-request-id`, and the same two Prometheus
// metrics per request. The gap between the two floors is what those cost; the gap above the
// second is our framework (tRPC's middleware chain, the request context, kysely, validation).
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';
import { Counter, Histogram, Registry } from 'prom-client';
import { helmetHeadersOf } from '../src/plugins/static-helmet.js';

const INT8_OID = 20;
const port = Number(process.argv[2] ?? 4104);
const databaseUrl = process.argv[3]!;
const jwtSecret = process.argv[4]!;
const withObligations = process.argv[5] === 'obligations';

const pool = new pg.Pool({
  connectionString: databaseUrl,
  max: 10,
  types: { getTypeParser: ((oid: number, format?: 'text') => (oid === INT8_OID ? BigInt : pg.types.getTypeParser(oid, format))) as never },
});

const OPERATIONS = ['chat', 'embeddings', 'image_generation', 'image_edit', 'speech', 'transcription', 'video_generation'];
const DEFAULT_OPERATIONS: Record<string, string[]> = {
  text: ['chat'],
  image: ['image_generation', 'image_edit'],
  audio: ['speech', 'transcription'],
  video: ['video_generation'],
};
const SCALE = 9;
const amount = (nano: bigint) => {
  const fraction = (nano % 1_000_000_000n).toString().padStart(SCALE, '0').replace(/0+$/, '');
  return Number(`${nano / 1_000_000_000n}${fraction ? `.${fraction}` : ''}`);
};

type Row = Record<string, any>;
const model = (row: Row) => ({
  id: row.id,
  name: row.name,
  description: row.description,
  category: row.category,
  operations: OPERATIONS.filter((op) => (row.operations ?? DEFAULT_OPERATIONS[row.category]).includes(op)),
  version: row.version,
  status: row.status,
  visibility: row.visibility,
  popularity: Number(row.call_count),
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
});
const post = (row: Row) => ({
  id: row.id,
  title: row.title,
  content: row.content,
  category: row.category,
  tags: row.tags,
  author: { id: row.author_id, username: row.author_username, avatar: row.author_avatar },
  likes: row.likes_count,
  comments: row.comments_count,
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
  hidden: row.hidden_at !== null,
});
const page = (rows: Row[], limit: number, map: (row: Row) => unknown) => {
  const total = rows[0]?.total ?? 0;
  return { data: rows.map(map), pagination: { page: 1, limit, total, pages: Math.ceil(total / limit) } };
};

/** The subject of a valid HS256 access token (signature and expiry only: a floor, not our checks). */
function tokenSubject(authorization: string | undefined): string | null {
  const token = authorization?.slice('Bearer '.length) ?? '';
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || !signature) return null;
  const expected = createHmac('sha256', jwtSecret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub: string; exp: number };
  return claims.exp > Date.now() / 1000 ? claims.sub : null;
}

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

app.get<{ Querystring: { limit?: string } }>('/api/v1/models', async (request) => {
  const limit = Number(request.query.limit ?? 20);
  const { rows } = await pool.query(
    `select *, (select count(*)::int as "total" from "models" where "visibility" = $1) as "total" from "models" where "visibility" = $2 order by "created_at" desc, "id" desc limit $3 offset $4`,
    ['public', 'public', limit, 0],
  );
  return page(rows, limit, model);
});

app.get<{ Querystring: { limit?: string } }>('/api/v1/community/posts', async (request) => {
  const limit = Number(request.query.limit ?? 20);
  const { rows } = await pool.query(
    `select "posts".*, "users"."username" as "author_username", "users"."avatar" as "author_avatar", (select count(*)::int as "total" from "posts" inner join "users" on "users"."id" = "posts"."author_id" where "posts"."hidden_at" is null) as "total" from "posts" inner join "users" on "users"."id" = "posts"."author_id" where "posts"."hidden_at" is null order by "posts"."created_at" desc, "posts"."id" desc limit $1 offset $2`,
    [limit, 0],
  );
  return page(rows, limit, post);
});

app.get<{ Params: { id: string } }>('/api/v1/models/:id', async (request, reply) => {
  const { rows } = await pool.query('select * from "models" where "id" = $1', [request.params.id]);
  const row = rows[0];
  if (!row || row.visibility !== 'public') return reply.code(404).send({ error: 'not found' });
  return {
    ...model(row),
    parameters: row.parameters,
    pricing: { input_tokens: amount(row.input_nano_per_token), output_tokens: amount(row.output_nano_per_token) },
    context_window: row.context_window,
    model_file: row.model_file_id,
  };
});

app.get('/api/v1/users/profile', async (request, reply) => {
  const userId = tokenSubject(request.headers.authorization);
  if (!userId) return reply.code(401).send({ error: 'unauthorized' });
  const { rows } = await pool.query('select * from "users" where "id" = $1', [userId]);
  const user = rows[0]!;
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    avatar: user.avatar,
    role: user.role,
    created_at: user.created_at.toISOString(),
    last_login: user.last_login === null ? null : user.last_login.toISOString(),
  };
});

await app.listen({ port, host: '127.0.0.1' });
process.on('message', (message) => {
  if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
  if (message === 'stop') void pool.end().then(() => process.exit(0));
});
process.send?.('ready');
