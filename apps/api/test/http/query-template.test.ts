import { type PlaceholderOf, QueryTemplate, queryTemplate } from '@maas/api/testing';
import type { Database } from '@maas/db';
import { type Kysely, type KyselyPlugin, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, createModel, signUp, signUpAs, startTestServer, type TestServer, uniqueName } from '../kit/index.js';

// Issue 18 target 1: the hot reads compile their SQL once per shape (core/query-template.ts). A
// compiled shape must never carry one call's values into another's, and must send the same SQL
// kysely would have built for the call.
describe('query templates', () => {
  let server: TestServer;
  let db: Kysely<Database>;
  beforeAll(async () => {
    server = await startTestServer();
    db = server.server.database.db;
  });
  afterAll(() => server?.close());

  const usersByName = new QueryTemplate((db, shape: { role: 'admin' | 'user' | null }, placeholder: PlaceholderOf<{ name: string }>) => {
    let query = db.selectFrom('users').select(['username', 'role']).where('username', '=', placeholder('name'));
    if (shape.role) query = query.where('role', '=', shape.role);
    return query;
  });

  it('fills each call with its own values, on one compiled shape', async () => {
    const api = apiClient(server.url);
    const [first, second] = [await signUp(api, 'tpl_a'), await signUp(api, 'tpl_b')];
    expect(await usersByName.execute(db, { role: null }, { name: first.username })).toEqual([{ username: first.username, role: 'user' }]);
    expect(await usersByName.execute(db, { role: null }, { name: second.username })).toEqual([{ username: second.username, role: 'user' }]);
    expect(await usersByName.execute(db, { role: null }, { name: 'nobody-by-this-name' })).toEqual([]);
    // The same compiled text both times, with the values as parameters.
    const one = usersByName.compile(db, { role: null }, { name: first.username });
    const two = usersByName.compile(db, { role: null }, { name: second.username });
    expect(one.sql).toBe(two.sql);
    expect(one.parameters).toEqual([first.username]);
    expect(two.parameters).toEqual([second.username]);
  });

  it('compiles each shape on its own, keeping the literals kysely put in the parameters', async () => {
    const api = apiClient(server.url);
    const user = await signUp(api, 'tpl_c');
    const anyRole = usersByName.compile(db, { role: null }, { name: user.username });
    const admins = usersByName.compile(db, { role: 'admin' }, { name: user.username });
    expect(admins.sql).not.toBe(anyRole.sql);
    expect(admins.parameters).toEqual([user.username, 'admin']);
    expect(await usersByName.execute(db, { role: 'admin' }, { name: user.username })).toEqual([]);
    expect(await usersByName.execute(db, { role: 'user' }, { name: user.username })).toEqual([{ username: user.username, role: 'user' }]);
  });

  it('sends the SQL kysely builds for the same query', () => {
    const template = usersByName.compile(db, { role: 'user' }, { name: 'someone' });
    const direct = db
      .selectFrom('users')
      .select(['username', 'role'])
      .where('username', '=', 'someone')
      .where('role', '=', 'user')
      .compile();
    expect(template.sql).toBe(direct.sql);
    expect(template.parameters).toEqual(direct.parameters);
  });

  it('fills placeholders in an `in` list, and refuses one inside an array parameter, which it cannot reach', async () => {
    const api = apiClient(server.url);
    const user = await signUp(api, 'tpl_f');
    // kysely makes each element of an `in` list a parameter of its own: fillable.
    const byNames = queryTemplate((db, placeholder: PlaceholderOf<{ name: string }>) =>
      db
        .selectFrom('users')
        .select('username')
        .where('username', 'in', [placeholder('name'), 'someone-else']),
    );
    expect(await byNames.executeTakeFirst(db, { name: user.username })).toEqual({ username: user.username });
    // An array given to `sql` is one parameter: a placeholder inside it would be sent as it is.
    const byArray = queryTemplate((db, placeholder: PlaceholderOf<{ name: string }>) =>
      db
        .selectFrom('users')
        .select('username')
        .where(sql<boolean>`username = any(${[placeholder('name')]})`),
    );
    await expect(byArray.executeTakeFirst(db, { name: user.username })).rejects.toThrow(/placeholder inside an array/);
  });

  it('builds the query with the values themselves on a database with a plugin', async () => {
    const api = apiClient(server.url);
    const user = await signUp(api, 'tpl_d');
    const seen: unknown[] = [];
    const recorder: KyselyPlugin = {
      transformQuery: (args) => {
        seen.push(JSON.stringify(args.node));
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const withPlugin = db.withPlugin(recorder);
    expect(await usersByName.execute(withPlugin, { role: null }, { name: user.username })).toEqual([
      { username: user.username, role: 'user' },
    ]);
    expect(await usersByName.execute(withPlugin, { role: null }, { name: 'someone-else' })).toEqual([]);
    // The plugin saw both queries, each with its own value.
    expect(seen).toHaveLength(2);
    expect(seen[0]).toContain(user.username);
    expect(seen[1]).toContain('someone-else');
  });

  it('lists models and posts by each request its own filters (REST)', async () => {
    const api = apiClient(server.url);
    const admin = await signUpAs(server, api, 'admin');
    const tag = uniqueName('tpl')
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '')
      .slice(0, 30);
    const alpha = await createModel(api, admin.token, { name: `${tag}-alpha` });
    const beta = await createModel(api, admin.token, { name: `${tag}-beta` });
    const names = async (path: string) => ((await api.get(path)).body as { data: { name: string }[] }).data.map((model) => model.name);
    expect(await names(`/api/v1/models?search=${tag}-alpha`)).toEqual([alpha.name]);
    expect(await names(`/api/v1/models?search=${tag}-beta`)).toEqual([beta.name]);
    expect((await names(`/api/v1/models?search=${tag}`)).sort()).toEqual([alpha.name, beta.name]);

    const author = await signUp(api, 'tpl_e');
    for (const postTag of ['alpha', 'beta'])
      expect(
        (
          await api.post(
            '/api/v1/community/posts',
            { title: `${tag} ${postTag}`, content: 'text', tags: [`${tag.slice(0, 20)}-${postTag}`] },
            author.token,
          )
        ).status,
      ).toBe(201);
    const titles = async (path: string) => ((await api.get(path)).body as { data: { title: string }[] }).data.map((post) => post.title);
    expect(await titles(`/api/v1/community/posts?tag=${tag.slice(0, 20)}-alpha`)).toEqual([`${tag} alpha`]);
    expect(await titles(`/api/v1/community/posts?tag=${tag.slice(0, 20)}-beta`)).toEqual([`${tag} beta`]);
    expect((await titles(`/api/v1/community/posts?author=${author.username.toUpperCase()}`)).sort()).toEqual([
      `${tag} alpha`,
      `${tag} beta`,
    ]);
  });
});
