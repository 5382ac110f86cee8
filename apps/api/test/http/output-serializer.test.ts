// The serializer compiled from an output schema (routes/rest-reads/output-serializer.ts) is sound:
// whatever it is given, it either leaves the value to zod or writes exactly the JSON of what the
// zod parse returns. And it does not leave valid values to zod for the schemas it is used on.
import { appRouter } from '@maas/api';
import fc from 'fast-check';
import { getInputOutputParsers } from 'trpc-to-openapi';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compileExactCheck, compileOutputSerializer } from '../../src/routes/rest-reads/output-serializer.js';

/** The exact check's law: when it passes, JSON.stringify of the value itself is zod's answer. */
function expectExactSound(schema: z.ZodType, value: unknown) {
  if (!compileExactCheck(schema)(value)) return;
  const parsed = schema.safeParse(value);
  expect(parsed.success, `passed ${JSON.stringify(value)}`).toBe(true);
  expect(JSON.stringify(value)).toBe(JSON.stringify(parsed.data));
}

/** The law: the serializer's answer is zod's, or none. */
function expectSound(schema: z.ZodType, value: unknown) {
  const written = compileOutputSerializer(schema)(value);
  if (written === undefined) return;
  const parsed = schema.safeParse(value);
  expect(parsed.success, `accepted ${JSON.stringify(value)}`).toBe(true);
  expect(written).toBe(JSON.stringify(parsed.data));
}

// Every kind the serializer compiles, and a few it leaves to zod (a union, a strict object, a
// transform, a checked string, a record, a default).
const Kitchen = z.object({
  id: z.string(),
  count: z.number().int(),
  ratio: z.number(),
  bounded: z.number().min(0).max(1),
  flag: z.boolean(),
  kind: z.enum(['a', 'b']),
  one: z.literal('x'),
  maybe: z.string().nullable(),
  absent: z.string().optional(),
  both: z.number().int().nullable().optional(),
  list: z.array(z.object({ name: z.string(), at: z.string() })),
  nested: z.object({ deep: z.array(z.number()) }),
  either: z.union([z.string(), z.number()]),
  strict: z.object({ a: z.number().optional() }).strict(),
  shouted: z.string().transform((text) => text.toUpperCase()),
  short: z.string().max(3),
  labels: z.record(z.string(), z.string()),
  defaulted: z.string().default('d'),
  anything: z.unknown(),
});

const valid = fc.record({
  id: fc.string(),
  count: fc.integer(),
  ratio: fc.double({ noNaN: true, noDefaultInfinity: true }),
  bounded: fc.double({ min: 0, max: 1, noNaN: true }),
  flag: fc.boolean(),
  kind: fc.constantFrom('a', 'b'),
  one: fc.constant('x'),
  maybe: fc.option(fc.string(), { nil: null }),
  absent: fc.option(fc.string(), { nil: undefined }),
  both: fc.option(fc.option(fc.integer(), { nil: null }), { nil: undefined }),
  list: fc.array(fc.record({ name: fc.string(), at: fc.string(), extra: fc.string() })),
  nested: fc.record({ deep: fc.array(fc.double({ noNaN: true, noDefaultInfinity: true })) }),
  either: fc.oneof(fc.string(), fc.integer()),
  strict: fc.record({ a: fc.integer() }, { requiredKeys: [] }),
  shouted: fc.string(),
  short: fc.string({ maxLength: 3 }),
  labels: fc.dictionary(fc.string(), fc.string()),
  defaulted: fc.option(fc.string(), { nil: undefined }),
  anything: fc.jsonValue(),
  unknownField: fc.string(),
});

describe('compiled output serializer', () => {
  it('writes what zod parses, in the schema’s order, without unknown fields', () => {
    fc.assert(
      fc.property(valid, (value) => {
        const written = compileOutputSerializer(Kitchen)(value);
        expect(written).toBe(JSON.stringify(Kitchen.parse(value)));
      }),
    );
  });

  it('never answers differently from zod, whatever it is given', () => {
    // Valid values with one field replaced by anything (wrong types, NaN, -0, missing, undefined).
    const mutated = fc
      .tuple(
        valid,
        fc.constantFrom(...Object.keys(Kitchen.shape)),
        fc.oneof(fc.anything(), fc.constantFrom(NaN, Infinity, -0, 2 ** 60, 1.5, undefined)),
      )
      .map(([value, key, replacement]) => ({ ...value, [key]: replacement }));
    fc.assert(fc.property(mutated, (value) => expectSound(Kitchen, value)));
    fc.assert(fc.property(fc.anything(), (value) => expectSound(Kitchen, value)));
    fc.assert(fc.property(mutated, (value) => expectExactSound(Kitchen, value)));
    fc.assert(fc.property(fc.anything(), (value) => expectExactSound(Kitchen, value)));
    for (const value of [null, [], 'x', 1, { ...fc.sample(valid, 1)[0], count: undefined }]) expectSound(Kitchen, value);
  });

  it('writes no key, and no stray comma, for a field with no value', () => {
    const schema = z.object({ a: z.unknown(), b: z.string().optional(), c: z.object({ d: z.unknown() }), e: z.string() });
    const value = { a: undefined, b: undefined, c: { d: undefined }, e: 'x' };
    expect(compileOutputSerializer(schema)(value)).toBe('{"c":{},"e":"x"}');
    expect(compileOutputSerializer(schema)(value)).toBe(JSON.stringify(schema.parse(value)));
  });

  it('leaves to zod a required field that is absent, so that zod words the error', () => {
    const [value] = fc.sample(valid, 1);
    const { id: _id, ...withoutId } = value!;
    expect(compileOutputSerializer(Kitchen)(withoutId)).toBeUndefined();
    expect(compileOutputSerializer(z.object({ a: z.unknown() }))({})).toBeUndefined();
  });

  it('compiles the four read procedures’ outputs and writes their valid values itself', () => {
    const outputOf = (path: string) => {
      const procedures: Record<string, unknown> = appRouter._def.procedures;
      const procedure = procedures[path] as Parameters<typeof getInputOutputParsers>[0];
      return getInputOutputParsers(procedure).outputParser as z.ZodType;
    };
    const at = '2024-01-15T10:30:00.000Z';
    const model = {
      id: 'model_abc',
      name: 'm',
      description: 'd',
      category: 'text',
      operations: ['chat'],
      version: '1.0',
      status: 'active',
      visibility: 'public',
      popularity: 3,
      created_at: at,
      updated_at: at,
    };
    const values: [string, unknown][] = [
      ['models.list', { data: [model, { ...model, id: 'model_def' }], pagination: { page: 1, limit: 20, total: 2, pages: 1 } }],
      [
        'models.get',
        {
          ...model,
          parameters: { temperature: 0.5 },
          pricing: { input_tokens: 0.000001, output_tokens: 0.000002 },
          context_window: 4096,
          model_file: null,
          routes: [{ provider_id: 'prov_a', upstream_model: 'x', priority: null, weight: 1 }],
        },
      ],
      [
        'community.list',
        {
          data: [
            {
              id: 'post_a',
              title: 't',
              content: 'c',
              category: 'discussion',
              tags: ['a'],
              author: { id: 'user_a', username: 'u', avatar: null },
              likes: 0,
              comments: 1,
              created_at: at,
              updated_at: at,
              hidden: false,
            },
          ],
          pagination: { page: 1, limit: 20, total: 1, pages: 1 },
        },
      ],
      [
        'users.profile',
        { id: 'user_a', username: 'u', email: 'u@example.com', avatar: null, role: 'user', created_at: at, last_login: null },
      ],
    ];
    for (const [path, value] of values) {
      const schema = outputOf(path);
      const written = compileOutputSerializer(schema)(value);
      expect(compileExactCheck(schema)(value), path).toBe(true);
      expect(written, path).toBeDefined();
      expect(written, path).toBe(JSON.stringify(schema.parse(value)));
    }
  });

  describe('exact check (the serializer’s cheaper way)', () => {
    // Only kinds the check compiles, so that a value zod returns unchanged passes.
    const Plain = z.object({
      id: z.string(),
      count: z.number().int(),
      ratio: z.number(),
      flag: z.boolean(),
      kind: z.enum(['a', 'b']),
      maybe: z.string().nullable(),
      absent: z.string().optional(),
      list: z.array(z.object({ name: z.string(), at: z.string() })),
      either: z.union([z.string(), z.number()]),
    });
    const plainValue = fc.record(
      {
        id: fc.string(),
        count: fc.integer(),
        ratio: fc.double({ noNaN: true, noDefaultInfinity: true }),
        flag: fc.boolean(),
        kind: fc.constantFrom('a', 'b'),
        maybe: fc.option(fc.string(), { nil: null }),
        absent: fc.string(),
        list: fc.array(fc.record({ name: fc.string(), at: fc.string() })),
        either: fc.oneof(fc.string(), fc.integer()),
      },
      { requiredKeys: ['id', 'count', 'ratio', 'flag', 'kind', 'maybe', 'list', 'either'] },
    );

    it('passes a value that already is what zod returns, and JSON.stringify of it is zod’s JSON', () => {
      fc.assert(
        fc.property(plainValue, (value) => {
          expect(compileExactCheck(Plain)(value)).toBe(true);
          expect(JSON.stringify(value)).toBe(JSON.stringify(Plain.parse(value)));
        }),
      );
    });

    it('fails what JSON.stringify would write differently from zod, and the serializer still writes zod’s JSON', () => {
      const [base] = fc.sample(plainValue, { numRuns: 1, seed: 7 });
      const value = { ...base!, absent: 'x', list: [{ name: 'n', at: 't' }] };
      class WithToJson {
        toJSON() {
          return 'other';
        }
      }
      const { id, ...rest } = value;
      const different: [string, unknown][] = [
        ['an extra field', { ...value, extra: 1 }],
        ['an extra field in an element', { ...value, list: [{ name: 'n', at: 't', extra: 1 }] }],
        ['the keys in another order', { ...rest, id }],
        ['a prototype with a toJSON', Object.assign(Object.create(WithToJson.prototype) as object, value)],
        ['an inherited field', Object.assign(Object.create({ inherited: 1 }) as object, value)],
        ['an array with its own toJSON', { ...value, list: Object.assign([{ name: 'n', at: 't' }], { toJSON: () => [] }) }],
        ['a field zod turns into another JSON', { ...value, either: new Date(0) }],
      ];
      for (const [label, candidate] of different) {
        expect(compileExactCheck(Plain)(candidate), label).toBe(false);
        expectSound(Plain, candidate);
      }
      expect(compileOutputSerializer(Plain)({ ...value, extra: 1 })).toBe(JSON.stringify(Plain.parse(value)));
      expect(compileOutputSerializer(Plain)({ ...rest, id })).toBe(JSON.stringify(Plain.parse(value)));
    });

    it('fails, without throwing, a value zod takes but JSON cannot write', () => {
      const schema = z.object({ anything: z.unknown() });
      expect(compileExactCheck(schema)({ anything: 1n })).toBe(false);
      const cycle: Record<string, unknown> = {};
      cycle.self = cycle;
      expect(compileExactCheck(schema)({ anything: cycle })).toBe(false);
    });

    it('passes an object without a prototype, as zod reads it the same', () => {
      const value = Object.assign(Object.create(null) as object, { name: 'n', at: 't' });
      const schema = z.object({ name: z.string(), at: z.string() });
      expect(compileExactCheck(schema)(value)).toBe(true);
      expect(JSON.stringify(value)).toBe(JSON.stringify(schema.parse(value)));
    });
  });
});
