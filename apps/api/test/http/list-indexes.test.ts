import { ListModelsInput, listModels, ListPostsInput, listPosts, ListToolsInput, listTools } from '@maas/api/testing';
import type { Database } from '@maas/db';
import { CompiledQuery, type Kysely, type KyselyPlugin, type QueryId, type RootOperationNode, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../kit/index.js';

// Issue 18 target 1: a list page is read through an index in its sort order, so it stops at LIMIT
// instead of sorting every match. Plans are PostgreSQL's; PGlite is the same planner, but the
// contract is the production server, and PGlite's tiny tables make any plan a seq scan.
const postgres = process.env.DATABASE_URL !== undefined;

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/** Runs `list` against `db`, records the statements it sent, and returns the plan of the first one. */
async function planOf(db: Kysely<Database>, list: (db: Kysely<Database>) => Promise<unknown>): Promise<PlanNode> {
  // transformQuery also sees a subquery when it is embedded; only executed statements get a result.
  const built = new Map<QueryId, RootOperationNode>();
  const executed: { node: RootOperationNode; queryId: QueryId }[] = [];
  const recorder: KyselyPlugin = {
    transformQuery: (args) => {
      built.set(args.queryId, args.node);
      return args.node;
    },
    transformResult: async (args) => {
      executed.push({ node: built.get(args.queryId)!, queryId: args.queryId });
      return args.result;
    },
  };
  await list(db.withPlugin(recorder));
  expect(executed.length).toBe(1); // the page and its count in one statement
  const { sql: text, parameters } = db.getExecutor().compileQuery(executed[0]!.node, executed[0]!.queryId);
  return db.transaction().execute(async (trx) => {
    // The tables here hold a few rows, where a sequential scan always wins; with it priced out the
    // planner shows whether an index can serve the order (with many rows it picks that plan itself).
    await sql`SET LOCAL enable_seqscan = off`.execute(trx);
    const result = await trx.executeQuery<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
      CompiledQuery.raw(`EXPLAIN (FORMAT JSON) ${text}`, [...parameters]),
    );
    return result.rows[0]!['QUERY PLAN'][0].Plan;
  });
}

function expectIndexOrdered(plan: PlanNode, index: string): void {
  const all = nodes(plan);
  expect(all.map((node) => node['Node Type'])).not.toContain('Sort');
  expect(all.map((node) => node['Node Type'])).not.toContain('Incremental Sort');
  expect(
    all.some((node) => node['Node Type'].startsWith('Index') && node['Index Name'] === index),
    JSON.stringify(plan),
  ).toBe(true);
}

describe.skipIf(!postgres)('list pages read in index order (PostgreSQL EXPLAIN)', () => {
  let server: TestServer;
  let db: Kysely<Database>;
  beforeAll(async () => {
    server = await startTestServer();
    db = server.server.database.db;
  });
  afterAll(() => server?.close());

  it('models, newest first, anonymous: models_created_idx', async () => {
    expectIndexOrdered(await planOf(db, (db) => listModels(db, null, ListModelsInput.parse({ limit: 20 }))), 'models_created_idx');
  });

  it('models by popularity: models_popularity_idx', async () => {
    const input = ListModelsInput.parse({ limit: 20, sort: 'popularity' });
    expectIndexOrdered(await planOf(db, (db) => listModels(db, null, input)), 'models_popularity_idx');
  });

  it('community posts, latest first: posts_created_idx', async () => {
    expectIndexOrdered(await planOf(db, (db) => listPosts(db, null, ListPostsInput.parse({ limit: 20 }))), 'posts_created_idx');
  });

  it('community posts, popular first: posts_popular_idx, tie-break included', async () => {
    const input = ListPostsInput.parse({ limit: 20, sort: 'popular' });
    expectIndexOrdered(await planOf(db, (db) => listPosts(db, null, input)), 'posts_popular_idx');
  });

  it('tools, newest first: the published-tools index tools_listed_created_idx', async () => {
    expectIndexOrdered(await planOf(db, (db) => listTools(db, ListToolsInput.parse({ limit: 20 }))), 'tools_listed_created_idx');
  });

  it('tools by price and by downloads: their published-tools indexes', async () => {
    const price = ListToolsInput.parse({ limit: 20, sort: 'price' });
    expectIndexOrdered(await planOf(db, (db) => listTools(db, price)), 'tools_listed_price_idx');
    const downloads = ListToolsInput.parse({ limit: 20, sort: 'downloads' });
    expectIndexOrdered(await planOf(db, (db) => listTools(db, downloads)), 'tools_listed_downloads_idx');
  });
});
