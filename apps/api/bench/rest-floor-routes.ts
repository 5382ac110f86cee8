// The floor's routes (rest-floor.ts): plain Fastify and pg, the same SQL our services send and the
// same JSON they answer. The floor process serves them, and so does the REST layer server inside
// our own process (rest-layers.ts), so that the two can be told apart from our framework.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';

const INT8_OID = 20;

/** A pool as our database layer makes it: bigint for int8, pg's parsers for the rest. */
export function floorPool(databaseUrl: string): pg.Pool {
  return new pg.Pool({
    connectionString: databaseUrl,
    max: 10,
    types: {
      getTypeParser: ((oid: number, format?: 'text') => (oid === INT8_OID ? BigInt : pg.types.getTypeParser(oid, format))) as never,
    },
  });
}

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
function tokenSubject(jwtSecret: string, authorization: string | undefined): string | null {
  const token = authorization?.slice('Bearer '.length) ?? '';
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || !signature) return null;
  const expected = createHmac('sha256', jwtSecret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub: string; exp: number };
  return claims.exp > Date.now() / 1000 ? claims.sub : null;
}

/** The four reads at `prefix` (`/api/v1` in the floor process). */
export function registerFloorRoutes(app: FastifyInstance, pool: pg.Pool, jwtSecret: string, prefix: string): void {
  app.get<{ Querystring: { limit?: string } }>(`${prefix}/models`, async (request) => {
    const limit = Number(request.query.limit ?? 20);
    const { rows } = await pool.query(
      `select *, (select count(*)::int as "total" from "models" where "visibility" = $1) as "total" from "models" where "visibility" = $2 order by "created_at" desc, "id" desc limit $3 offset $4`,
      ['public', 'public', limit, 0],
    );
    return page(rows, limit, model);
  });

  app.get<{ Querystring: { limit?: string } }>(`${prefix}/community/posts`, async (request) => {
    const limit = Number(request.query.limit ?? 20);
    const { rows } = await pool.query(
      `select "posts".*, "users"."username" as "author_username", "users"."avatar" as "author_avatar", (select count(*)::int as "total" from "posts" inner join "users" on "users"."id" = "posts"."author_id" where "posts"."hidden_at" is null) as "total" from "posts" inner join "users" on "users"."id" = "posts"."author_id" where "posts"."hidden_at" is null order by "posts"."created_at" desc, "posts"."id" desc limit $1 offset $2`,
      [limit, 0],
    );
    return page(rows, limit, post);
  });

  app.get<{ Params: { id: string } }>(`${prefix}/models/:id`, async (request, reply) => {
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

  app.get(`${prefix}/users/profile`, async (request, reply) => {
    const userId = tokenSubject(jwtSecret, request.headers.authorization);
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
}
