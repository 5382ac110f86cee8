import type { Compilable, CompiledQuery, Kysely, RootOperationNode } from 'kysely';
import type { Database } from '@maas/db';

/**
 * A query compiled once per shape and run with each call's values (issue 18, target 1).
 *
 * Kysely builds a query's syntax tree (frozen node objects, cloned at every builder call) and
 * compiles it to SQL on every execution: 10–50 µs of CPU per REST read in a profile, more than
 * the SQL costs PostgreSQL. For a query that runs on every request, a template builds it once,
 * with placeholders where the values go, and afterwards only fills in the parameter list.
 *
 * - The *shape* is what changes the SQL text: which filters are present, the sort, the viewer's
 *   kind. Each distinct shape is compiled once; its key is the shape's values joined, so a shape
 *   is a small object of booleans and enum values whose key order is fixed by the caller's literal.
 * - *Values* go only through `placeholder(name)`, never into the builder directly, so that no
 *   call's value is baked into SQL another call reuses. A placeholder stands for one scalar
 *   parameter: not for an array (kysely expands those into one parameter per element).
 * - Literals the builder is given (`'public'`, a `sql` constant) stay as the compiled parameters.
 *
 * The SQL is the same on every database this platform runs on (PostgreSQL and PGlite share
 * kysely's PostgreSQL compiler), so a compiled shape serves any `Kysely` or transaction without
 * plugins.
 */
export class QueryTemplate<Shape extends Record<string, string | number | boolean | null>, Values extends Record<string, unknown>, Row> {
  readonly #build: (db: Kysely<Database>, shape: Shape, placeholder: PlaceholderOf<Values>) => Compilable<Row>;
  readonly #compiled = new Map<string, CompiledShape>();

  constructor(build: (db: Kysely<Database>, shape: Shape, placeholder: PlaceholderOf<Values>) => Compilable<Row>) {
    this.#build = build;
  }

  /** The compiled query of this shape, with these values. */
  compile(db: Kysely<Database>, shape: Shape, values: Values): CompiledQuery<Row> {
    // A plugin transforms each query as it is built (and may read its values): such a database gets
    // the query built and compiled as without a template, with the values themselves.
    if (db.getExecutor().plugins.length > 0) return this.#build(db, shape, (name) => values[name]).compile();
    const key = shapeKey(shape);
    let compiled = this.#compiled.get(key);
    if (!compiled) {
      compiled = compileShape(this.#build(db, shape, placeholder as PlaceholderOf<Values>).compile());
      this.#compiled.set(key, compiled);
    }
    const slots = compiled.slots;
    const parameters = new Array<unknown>(slots.length);
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i]!;
      parameters[i] = slot instanceof Placeholder ? values[slot.name] : slot;
    }
    return { query: compiled.query, queryId: compiled.queryId, sql: compiled.sql, parameters };
  }

  async execute(db: Kysely<Database>, shape: Shape, values: Values): Promise<Row[]> {
    return (await db.executeQuery(this.compile(db, shape, values))).rows;
  }

  async executeTakeFirst(db: Kysely<Database>, shape: Shape, values: Values): Promise<Row | undefined> {
    return (await this.execute(db, shape, values))[0];
  }
}

/** A query with no shape to vary: one compiled SQL text. */
export function queryTemplate<Values extends Record<string, unknown>, Row>(
  build: (db: Kysely<Database>, placeholder: PlaceholderOf<Values>) => Compilable<Row>,
): { executeTakeFirst(db: Kysely<Database>, values: Values): Promise<Row | undefined> } {
  const template = new QueryTemplate<Record<string, never>, Values, Row>((db, _shape, placeholder) => build(db, placeholder));
  const none = {};
  return { executeTakeFirst: (db, values) => template.executeTakeFirst(db, none, values) };
}

/** Stands for the value named `name`, typed as that value for the builder. */
export type PlaceholderOf<Values> = <K extends keyof Values & string>(name: K) => Values[K];

class Placeholder {
  constructor(readonly name: string) {}
}

function placeholder(name: string): unknown {
  return new Placeholder(name);
}

interface CompiledShape {
  sql: string;
  query: RootOperationNode;
  queryId: CompiledQuery['queryId'];
  /** Each parameter in order: a placeholder filled per call, or a literal of the query. */
  slots: unknown[];
}

function compileShape(compiled: CompiledQuery): CompiledShape {
  for (const parameter of compiled.parameters)
    if (Array.isArray(parameter) && parameter.some((element) => element instanceof Placeholder))
      throw new Error('query template: a placeholder inside an array parameter is not filled in');
  return { sql: compiled.sql, query: compiled.query, queryId: compiled.queryId, slots: [...compiled.parameters] };
}

function shapeKey(shape: Record<string, string | number | boolean | null>): string {
  let key = '';
  for (const name in shape) key += `${String(shape[name])}\u0000`;
  return key;
}
