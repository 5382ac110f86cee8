import fc from 'fast-check';

/**
 * Arbitraries for the fuzz suite (issue #5): requests derived from an OpenAPI 3.1 document, each
 * operation's parameters and body schema bent into wrong types, missing and extra fields, hostile
 * strings and numbers, malformed JSON and bad encodings. Nothing here knows a particular endpoint,
 * so an operation added to the router is fuzzed without touching this file.
 */

export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  prefixItems?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
}

export interface OpenApiParameter {
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
  required?: boolean;
  schema?: JsonSchema;
}

export interface OpenApiOperation {
  operationId?: string;
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: JsonSchema }> };
  responses: Record<string, { content?: Record<string, { schema?: JsonSchema }> }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

export interface Operation {
  method: string;
  /** The document's path template, e.g. `/tools/{tool_id}/purchase`. */
  path: string;
  spec: OpenApiOperation;
}

/** The generator's typings and ours differ; the shape is checked as far as this suite relies on it. */
export function openApiDocument(value: unknown): OpenApiDocument {
  const paths = typeof value === 'object' && value !== null && 'paths' in value ? value.paths : undefined;
  if (typeof paths !== 'object' || paths === null) throw new Error('not an OpenAPI document: no paths');
  return value as OpenApiDocument;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']);

/** Every path × method of the document. */
export function listOperations(document: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, spec] of Object.entries(item)) {
      if (HTTP_METHODS.has(method)) operations.push({ method: method.toUpperCase(), path, spec });
    }
  }
  return operations;
}

export function resolveSchema(document: OpenApiDocument, schema: JsonSchema): JsonSchema {
  let current = schema;
  for (let hops = 0; current.$ref && hops < 16; hops++) {
    const name = current.$ref.replace('#/components/schemas/', '');
    const target = document.components?.schemas?.[name];
    if (!target) throw new Error(`unresolvable $ref ${current.$ref}`);
    // Sibling keywords of a $ref (a default, a description) do not change the shape.
    current = target;
  }
  return current;
}

// ---------------------------------------------------------------------------------------------
// Hostile values

/** A literal spliced into the JSON text as is: numbers JSON.stringify cannot produce. */
export class RawJson {
  constructor(readonly text: string) {}
  toJSON(): string {
    return `@@raw:${this.text}@@`;
  }
}

/** JSON.stringify, with RawJson literals written unquoted (1e999, -0, 30-digit integers). */
export function serializeJson(value: unknown): string {
  return JSON.stringify(value).replace(/"@@raw:(.*?)@@"/g, (_match, text: string) => text);
}

const NAUGHTY_STRINGS = [
  '',
  ' ',
  '   \t  ',
  '\u0000',
  'a\u0000b',
  '\u0000\u0000\u0000',
  '\uD800',
  '\uDFFF',
  'x\uDBFFy',
  '\uDC00\uD800',
  '\u202Eevil\u202C',
  '\u200F\u05E9\u05DC\u05D5\u05DD',
  '\u0645\u0631\u062D\u0628\u0627',
  '\uFEFF',
  '\u200B\u200C\u200D',
  '\u0085\u2028\u2029',
  '\r\n\r\n',
  '\u001b[31mred',
  '👩‍👩‍👧‍👦',
  '🤖🦄🏳️‍🌈',
  'Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǵ̨̦̫o̡̰͚',
  '𝕳𝖊𝖑𝖑𝖔',
  '中文字符测试',
  'ｆｕｌｌｗｉｄｔｈ',
  'null',
  'undefined',
  'true',
  '0',
  '-1',
  'NaN',
  'Infinity',
  '1e309',
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  '<script>alert(1)</script>',
  "'; DROP TABLE users; --",
  "' OR '1'='1",
  '%00',
  '%',
  '%zz',
  '../../../../etc/passwd',
  '..\\..\\windows',
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '$where',
  '\\',
  '"',
  "'",
  '`',
  '/',
  '?',
  '#',
  '&',
  'file:///etc/passwd',
  'http://169.254.169.254/latest/meta-data/',
  'user_',
  'tool_',
  'tool_UPPER',
  'tool_-1',
  'app_ ',
  'prov_\u0000',
];

// Just past common limits (64, 128, 256, 1 000, 4 096, 32 000 characters); the largest are rarer,
// they cost the most time per request.
const hugeLength = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(65, 129, 257, 1_025) },
  { weight: 2, arbitrary: fc.constant(4_097) },
  { weight: 1, arbitrary: fc.constantFrom(32_001, 70_000) },
);

const hugeString: fc.Arbitrary<string> = fc
  .tuple(hugeLength, fc.constantFrom('x', 'é', '中', '😀', '\u0000', '\uD800', ' ', '\u202E'))
  .map(([count, unit]) => unit.repeat(count));

const loneSurrogateString: fc.Arbitrary<string> = fc
  .array(fc.oneof(fc.integer({ min: 0xd800, max: 0xdfff }), fc.integer({ min: 0x20, max: 0x7e })), { minLength: 1, maxLength: 12 })
  .map((units) => String.fromCharCode(...units));

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NAUGHTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }) },
  { weight: 2, arbitrary: loneSurrogateString },
  { weight: 2, arbitrary: hugeString },
);

const NAUGHTY_NUMBERS = [
  0,
  -0,
  -1,
  1,
  0.5,
  1.5,
  -1.5,
  0.1,
  1e-9,
  1e-10,
  -1e-9,
  0.0000000001,
  2 ** 31,
  2 ** 31 - 1,
  -(2 ** 31),
  2 ** 32,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53),
  2 ** 63,
  1e21,
  1e300,
  -1e308,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  Number.EPSILON,
];

/** Numbers JSON.stringify cannot write: parsed by JSON.parse into Infinity, -0, precision loss. */
const RAW_NUMBERS = [
  '1e999',
  '-1e999',
  '-0',
  '-0.0',
  '123456789012345678901234567890',
  '0.1000000000000000055511151231257827',
  '1E400',
  '4e-400',
  '1.0',
];

export const hostileNumber: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NAUGHTY_NUMBERS) },
  { weight: 2, arbitrary: fc.constantFrom(...RAW_NUMBERS).map((text) => new RawJson(text)) },
  { weight: 2, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.integer() },
  // NaN and ±Infinity serialise as null; as strings they test the number coercions.
  { weight: 1, arbitrary: fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e999', '0x10', '1_000', ' 1 ', '') },
);

/** Deep nesting just inside and far outside the server's depth limit. */
const deepNesting: fc.Arbitrary<unknown> = fc.constantFrom(20, 120, 200, 3_000).map((depth) => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { a: value };
  return value;
});

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: hostileString },
  { weight: 3, arbitrary: hostileNumber },
  { weight: 2, arbitrary: fc.constantFrom(null, true, false, [], {}, [null], [[]], [{}], { '': '' }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(hostileString, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 4 }) },
  { weight: 1, arbitrary: deepNesting },
  { weight: 1, arbitrary: fc.constantFrom(20_000).map((count) => Array.from({ length: count }, (_, i) => i)) },
);

// ---------------------------------------------------------------------------------------------
// Values derived from a schema

/** Real ids of existing resources, by prefix (`tool`, `app`, …), offered where a pattern asks for one. */
export type IdPool = (prefix: string) => readonly string[];

export interface DeriveContext {
  document: OpenApiDocument;
  ids: IdPool;
}

function idPrefixOf(pattern: string | undefined): string | undefined {
  return pattern?.match(/^\^([a-z]+)_\[a-z0-9\]\+\$$/)?.[1];
}

function patternString(schema: JsonSchema): fc.Arbitrary<string> | null {
  if (!schema.pattern) return null;
  try {
    const max = schema.maxLength ?? 200;
    const min = schema.minLength ?? 0;
    return fc.stringMatching(new RegExp(schema.pattern)).filter((value) => value.length <= max && value.length >= min);
  } catch {
    return null;
  }
}

function stringFor(schema: JsonSchema, context: DeriveContext): fc.Arbitrary<string> {
  const prefix = idPrefixOf(schema.pattern);
  if (prefix) {
    const matched = patternString(schema) ?? fc.constant(`${prefix}_0`);
    // Read the pool at generation time: it grows as the fuzz creates resources.
    const pooled = fc.integer({ min: 0, max: 1_000 }).map((n) => {
      const pool = context.ids(prefix);
      return pool.length > 0 ? (pool[n % pool.length] ?? `${prefix}_0`) : `${prefix}_0`;
    });
    return fc.oneof({ weight: 3, arbitrary: pooled }, { weight: 1, arbitrary: matched });
  }
  if (schema.format === 'email') return fc.emailAddress().filter((email) => email.length <= (schema.maxLength ?? 254));
  if (schema.format === 'uri' || schema.format === 'url') return fc.webUrl();
  const fromPattern = patternString(schema);
  if (fromPattern) return fromPattern;
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 40, 40));
  return fc.oneof(
    { weight: 3, arbitrary: fc.string({ minLength, maxLength }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength, maxLength }) },
  );
}

function numberFor(schema: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const lower = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + (integer ? 1 : 1e-9) : -1_000);
  const upper = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - (integer ? 1 : 1e-9) : 1_000_000);
  const min = Math.max(lower, -1_000_000_000);
  const max = Math.min(upper, 1_000_000_000);
  if (integer) return fc.integer({ min: Math.ceil(min), max: Math.floor(max) });
  return fc.oneof(fc.integer({ min: Math.ceil(min), max: Math.floor(max) }), fc.double({ min, max, noNaN: true, noDefaultInfinity: true }));
}

/**
 * A value the schema accepts, as far as the schema can say (`ids` supplies real ids where a pattern
 * names a resource). Bounded in size so a run stays fast.
 */
export function conforming(schema: JsonSchema, context: DeriveContext, depth = 0): fc.Arbitrary<unknown> {
  if (schema.$ref) return conforming(resolveSchema(context.document, schema), context, depth);
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.anyOf ?? schema.oneOf)
    return fc.oneof(...(schema.anyOf ?? schema.oneOf ?? []).map((branch) => conforming(branch, context, depth)));
  if (schema.allOf?.[0]) return conforming(schema.allOf[0], context, depth);
  if (Array.isArray(schema.type)) return fc.oneof(...schema.type.map((type) => conforming({ ...schema, type }, context, depth)));
  switch (schema.type) {
    case 'string':
      return stringFor(schema, context);
    case 'integer':
      return numberFor(schema, true);
    case 'number':
      return numberFor(schema, false);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      if (depth > 4) return fc.constant([]);
      const items = schema.items ? conforming(schema.items, context, depth + 1) : fc.jsonValue({ maxDepth: 1 });
      const minLength = schema.minItems ?? 0;
      return fc.array(items, { minLength, maxLength: Math.max(minLength, Math.min(schema.maxItems ?? 3, 3)) });
    }
    case 'object':
    case undefined: {
      if (!schema.properties && schema.type === undefined) return fc.jsonValue({ maxDepth: 2 });
      if (depth > 4) return fc.constant({});
      const properties = schema.properties ?? {};
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, property] of Object.entries(properties)) model[name] = conforming(property, context, depth + 1);
      const record = fc.record(model, { requiredKeys: (schema.required ?? []).filter((key) => key in properties) });
      if (typeof schema.additionalProperties === 'object') {
        const extra = fc.dictionary(
          fc.string({ minLength: 1, maxLength: 12 }),
          conforming(schema.additionalProperties, context, depth + 1),
          { maxKeys: 3 },
        );
        return fc.tuple(record, extra).map(([base, more]) => ({ ...more, ...base }));
      }
      return record;
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function isObjectSchema(schema: JsonSchema): boolean {
  return schema.type === 'object' || (schema.type === undefined && schema.properties !== undefined);
}

/**
 * A value close to what the schema accepts, broken in one or more places at any depth: a field of
 * the wrong type or a hostile value, a required field missing, an unknown field added.
 */
export function mutated(schema: JsonSchema, context: DeriveContext, depth = 0): fc.Arbitrary<unknown> {
  const resolved = schema.$ref ? resolveSchema(context.document, schema) : schema;
  if (depth > 3 || !isObjectSchema(resolved)) {
    return fc.oneof({ weight: 2, arbitrary: conforming(resolved, context, depth) }, { weight: 1, arbitrary: hostileValue });
  }
  const properties = resolved.properties ?? {};
  const names = Object.keys(properties);
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, property] of Object.entries(properties)) {
    model[name] = fc.oneof(
      { weight: 3, arbitrary: conforming(property, context, depth + 1) },
      { weight: 1, arbitrary: mutated(property, context, depth + 1) },
    );
  }
  const base = fc.record(model, { requiredKeys: (resolved.required ?? []).filter((key) => key in properties) });
  const dropOne = names.length > 0 ? fc.constantFrom(...names) : fc.constant(undefined);
  const extraKey = fc.oneof(
    fc.constantFrom('__proto__', 'constructor', 'id', 'role', 'balance', 'owner_id', 'user_id', 'is_admin', ''),
    hostileString.filter((key) => key.length < 200),
  );
  return fc
    .tuple(base, fc.option(dropOne, { nil: undefined }), fc.option(fc.tuple(extraKey, hostileValue), { nil: undefined, freq: 3 }))
    .map(([value, drop, extra]) => {
      const result: Record<string, unknown> = { ...(value as Record<string, unknown>) };
      if (drop !== undefined) delete result[drop];
      // defineProperty so `__proto__` becomes an own key that JSON.stringify writes out.
      if (extra) Object.defineProperty(result, extra[0], { value: extra[1], enumerable: true, writable: true, configurable: true });
      return result;
    });
}

// ---------------------------------------------------------------------------------------------
// Encoding into a URL

const PERCENT_JUNK = [
  '%',
  '%2',
  '%zz',
  '%00',
  '%ff',
  '%FE%FF',
  '%c0%af',
  '%C0%80',
  '%ED%A0%80',
  '%2F',
  '%252F',
  '%2e',
  '%E2%80%AE',
  '%F0%9F%98%80',
  '%0A',
  '%0D%0A',
  '%20',
  '+',
  ';',
  ',',
  '@',
  ':',
  '!',
  '$',
  '&',
  "'",
  '(',
  ')',
  '*',
  '=',
  '~',
  '|',
  '%5C',
  '%22',
  '%3C%3E',
];

/** percent-encodes a string, writing lone surrogates as the (invalid) UTF-8 of the code unit. */
export function encodeLoose(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    // A lone surrogate (URIError): encode unit by unit below.
  }
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    const next = value.charCodeAt(i + 1);
    if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += encodeURIComponent(value.slice(i, i + 2));
      i++;
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
        .map((byte) => `%${byte.toString(16).toUpperCase()}`)
        .join('');
    } else {
      out += encodeURIComponent(value[i] ?? '');
    }
  }
  return out;
}

/** Raw URL text: percent-encoding junk and reserved characters mixed with letters. */
export const percentJunk: fc.Arbitrary<string> = fc
  .array(fc.oneof(fc.constantFrom(...PERCENT_JUNK), fc.string({ unit: fc.constantFrom(...'abcxyz019_-.'), minLength: 1, maxLength: 4 })), {
    minLength: 1,
    maxLength: 8,
  })
  .map((pieces) => pieces.join(''));

/** A path segment must not become a dot segment, which the client would resolve away. */
function safeSegment(segment: string): string {
  // An empty segment would reach another operation (`/providers/` is the list).
  if (segment === '') return '%20';
  const decoded = segment.replace(/%2e/gi, '.');
  return decoded === '.' || decoded === '..' ? `${segment}x` : segment;
}

/** An already-encoded path segment for a parameter of this schema. */
export function pathSegment(schema: JsonSchema, context: DeriveContext): fc.Arbitrary<string> {
  return fc
    .oneof(
      { weight: 5, arbitrary: conforming(schema, context).map((value) => encodeLoose(String(value))) },
      { weight: 2, arbitrary: hostileString.map((value) => encodeLoose(value.slice(0, 300))) },
      { weight: 1, arbitrary: percentJunk },
      { weight: 1, arbitrary: fc.constantFrom(65, 199, 201, 1_000, 5_000).map((count) => 'a'.repeat(count)) },
      { weight: 1, arbitrary: fc.constantFrom('tool_', 'user_abc', 'x', '0', '-1', '1.5', 'null', 'undefined', '%20', 'TOOL_ABC') },
    )
    .map(safeSegment);
}

/** `name=value` pairs for a query parameter, or none (already encoded). */
function queryPairs(parameter: OpenApiParameter, context: DeriveContext): fc.Arbitrary<string[]> {
  const name = encodeURIComponent(parameter.name);
  const schema = parameter.schema ?? {};
  const scalar = (value: unknown) => encodeLoose(typeof value === 'string' ? value : serializeJson(value));
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant<string[]>([]) },
    { weight: 4, arbitrary: conforming(schema, context).map((value) => [`${name}=${scalar(value)}`]) },
    { weight: 2, arbitrary: hostileValue.map((value) => [`${name}=${scalar(value).slice(0, 5_000)}`]) },
    { weight: 1, arbitrary: percentJunk.map((junk) => [`${name}=${junk}`]) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(conforming(schema, context), hostileString)
        .map(([a, b]) => [`${name}=${scalar(a)}`, `${name}=${encodeLoose(b.slice(0, 100))}`]),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom<string[]>(
        [name],
        [`${name}=`],
        [`${name}[]=1`],
        [`${name}[a]=1`],
        [`${name}[0]=1&${name}[1]=2`],
        [`${name}.x=1`],
      ),
    },
  );
}

const queryJunk: fc.Arbitrary<string[]> = fc.oneof(
  fc.constant<string[]>([]),
  fc.tuple(hostileString, hostileString).map(([key, value]) => [`${encodeLoose(key.slice(0, 64))}=${encodeLoose(value.slice(0, 200))}`]),
  fc.constantFrom<string[]>(
    ['page=-1'],
    ['limit=1000000'],
    ['__proto__[x]=1'],
    ['constructor[prototype][x]=1'],
    ['='],
    ['&&&'],
    ['a=%'],
    ['page=1e3'],
    ['limit=0x10'],
  ),
);

export function queryString(parameters: OpenApiParameter[], context: DeriveContext): fc.Arbitrary<string> {
  const perParameter = parameters.filter((parameter) => parameter.in === 'query').map((parameter) => queryPairs(parameter, context));
  return fc
    .tuple(fc.tuple(...perParameter), fc.oneof({ weight: 4, arbitrary: fc.constant<string[]>([]) }, { weight: 1, arbitrary: queryJunk }))
    .map(([pairs, junk]) => {
      const all = [...pairs.flat(), ...junk];
      return all.length > 0 ? `?${all.join('&')}` : '';
    });
}

/** A header value Node will send: field-value characters only (no CR, LF, NUL; Latin-1 at most). */
export function headerSafe(value: string): string {
  let out = '';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    out += code === 0x09 || (code >= 0x20 && code <= 0x7e) || (code >= 0x80 && code <= 0xff) ? char : '?';
  }
  return out.trim();
}

export const headerValue: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 3, arbitrary: fc.string({ minLength: 1, maxLength: 40 }) },
    { weight: 2, arbitrary: hostileString },
    { weight: 1, arbitrary: fc.constantFrom(255, 256, 4_000).map((count) => 'k'.repeat(count)) },
  )
  .map((value) => headerSafe(value).slice(0, 6_000));

// ---------------------------------------------------------------------------------------------
// Bodies

export interface FuzzBody {
  /** `none` sends no body at all. */
  kind: 'json' | 'hostile-json' | 'raw' | 'bytes' | 'none' | 'oversized';
  contentType: string | null;
  payload: string | Uint8Array | null;
}

const MALFORMED_JSON = [
  '',
  ' ',
  '{',
  '}',
  '{"a":',
  '{"a":1',
  '[1,2',
  'nul',
  'tru',
  '{"a":1}}',
  "{'a':1}",
  '{"a":1,}',
  '{a:1}',
  'NaN',
  'Infinity',
  '-',
  '01',
  '{"a":01}',
  '{"a":.5}',
  '{"a":"\\x41"}',
  '{"a":"\\u12"}',
  '{"a":"\u0000"}',
  '"unterminated',
  '\u0000',
  '\uFEFF{}',
  '{}garbage',
  '{"__proto__":{"isAdmin":true}}',
  '{"constructor":{"prototype":{"isAdmin":true}}}',
  '{"a":1,"a":2}',
  '{"a":"\\ud800"}',
  '{"a":"\\udc00\\ud800"}',
  '{"a":"\\u0000"}',
  '{"a":1e999}',
  '[]',
  'null',
  '0',
  '"string"',
  '<?xml version="1.0"?><a/>',
  'a=1&b=2',
  '/* comment */ {}',
];

const JSON_CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=UTF-8',
  'Application/JSON',
  'application/json; charset=latin1',
  'application/json;;;',
  'application/vnd.api+json',
  'text/plain',
  'text/plain;charset=UTF-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'multipart/form-data',
  'application/xml',
  'application/octet-stream',
  '*/*',
  'json',
  '',
];

const contentTypeForJson: fc.Arbitrary<string | null> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  { weight: 2, arbitrary: fc.constantFrom(...JSON_CONTENT_TYPES) },
  { weight: 1, arbitrary: fc.constant(null) },
);

const invalidUtf8: fc.Arbitrary<Uint8Array> = fc
  .constantFrom(
    [0xff, 0xfe, 0x7b, 0x7d],
    [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d],
    [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d],
    [0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d],
    [0xef, 0xbb, 0xbf, 0x7b, 0x7d],
    [0x00, 0x00, 0x00, 0x7b],
    [0x1f, 0x8b, 0x08, 0x00],
  )
  .map((bytes) => Uint8Array.from(bytes));

/** A request body for an operation whose JSON body follows `schema` (or none is declared). */
export function body(schema: JsonSchema | undefined, context: DeriveContext): fc.Arbitrary<FuzzBody> {
  const shaped = schema ? mutated(schema, context) : hostileValue;
  const accepted = schema ? conforming(schema, context) : fc.constant({});
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(accepted, contentTypeForJson)
        .map(([value, contentType]): FuzzBody => ({ kind: 'json', contentType, payload: serializeJson(value) })),
    },
    {
      weight: 8,
      arbitrary: fc
        .tuple(shaped, contentTypeForJson)
        .map(([value, contentType]): FuzzBody => ({ kind: 'json', contentType, payload: serializeJson(value) })),
    },
    {
      weight: 3,
      arbitrary: hostileValue.map((value): FuzzBody => ({
        kind: 'hostile-json',
        contentType: 'application/json',
        payload: serializeJson(value),
      })),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.oneof(fc.constantFrom(...MALFORMED_JSON), fc.string({ maxLength: 30 })), contentTypeForJson)
        .map(([text, contentType]): FuzzBody => ({ kind: 'raw', contentType, payload: text })),
    },
    { weight: 1, arbitrary: invalidUtf8.map((bytes): FuzzBody => ({ kind: 'bytes', contentType: 'application/json', payload: bytes })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<FuzzBody>(
        { kind: 'none', contentType: null, payload: null },
        { kind: 'none', contentType: 'application/json', payload: null },
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('[', '{"a":"')
        .map((open): FuzzBody => ({ kind: 'oversized', contentType: 'application/json', payload: `${open}${'1,'.repeat(600_000)}` })),
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Callers

export type Caller = 'anonymous' | 'user' | 'developer' | 'admin' | 'garbage';

export const caller: fc.Arbitrary<Caller> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Caller>('admin') },
  { weight: 3, arbitrary: fc.constant<Caller>('developer') },
  { weight: 3, arbitrary: fc.constant<Caller>('user') },
  { weight: 1, arbitrary: fc.constant<Caller>('anonymous') },
  { weight: 1, arbitrary: fc.constant<Caller>('garbage') },
);

/** Authorization headers that are not a valid credential. */
export const garbageAuthorization: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    'Bearer',
    'Bearer ',
    'Bearer null',
    'Basic dXNlcjpwYXNz',
    'bearer x.y.z',
    'Bearer eyJhbGciOiJub25lIn0.e30.',
    'Bearer sk-',
    'Bearer sk-0000',
    'Token abc',
    'Bearer a.b',
    'Bearer ...',
    'Bearer eyJ.eyJ.sig',
  ),
  headerValue.map((value) => `Bearer ${value}`),
  headerValue,
);

export const acceptLanguage: fc.Arbitrary<string | null> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constantFrom('en', 'zh-CN', 'en;q=abc', '*', 'fr-FR,de;q=0.5', 'en;q=-1', ',,,', 'zh-Hans-CN;q=1.5') },
  { weight: 1, arbitrary: headerValue },
);

// ---------------------------------------------------------------------------------------------
// Response shapes

/** Where `value` departs from `schema` (a small validator for the document's output schemas). */
export function schemaErrors(document: OpenApiDocument, schema: JsonSchema, value: unknown, at = '$'): string[] {
  const resolved = schema.$ref ? resolveSchema(document, schema) : schema;
  if (resolved.const !== undefined) return value === resolved.const ? [] : [`${at}: expected ${JSON.stringify(resolved.const)}`];
  if (resolved.enum && !resolved.enum.includes(value)) return [`${at}: ${JSON.stringify(value)} not in enum`];
  const branches = resolved.anyOf ?? resolved.oneOf;
  if (branches) {
    const failures = branches.map((branch) => schemaErrors(document, branch, value, at));
    return failures.some((errors) => errors.length === 0)
      ? []
      : [`${at}: matches no branch (${failures.map((errors) => errors[0]).join(' | ')})`];
  }
  if (resolved.allOf) return resolved.allOf.flatMap((branch) => schemaErrors(document, branch, value, at));
  const types = resolved.type === undefined ? [] : Array.isArray(resolved.type) ? resolved.type : [resolved.type];
  if (types.length > 0 && !types.some((type) => hasType(value, type)))
    return [`${at}: expected ${types.join('|')}, got ${describe(value)}`];
  const errors: string[] = [];
  if (typeof value === 'string') {
    if (resolved.minLength !== undefined && [...value].length < resolved.minLength)
      errors.push(`${at}: shorter than ${resolved.minLength}`);
    if (resolved.maxLength !== undefined && [...value].length > resolved.maxLength) errors.push(`${at}: longer than ${resolved.maxLength}`);
  }
  if (typeof value === 'number') {
    if (resolved.minimum !== undefined && value < resolved.minimum) errors.push(`${at}: below ${resolved.minimum}`);
    if (resolved.maximum !== undefined && value > resolved.maximum) errors.push(`${at}: above ${resolved.maximum}`);
  }
  if (Array.isArray(value) && resolved.items) {
    value.forEach((item, index) => errors.push(...schemaErrors(document, resolved.items ?? {}, item, `${at}[${index}]`)));
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    for (const key of resolved.required ?? []) if (!(key in record)) errors.push(`${at}.${key}: missing`);
    for (const [key, item] of Object.entries(record)) {
      const property = resolved.properties?.[key];
      if (property) errors.push(...schemaErrors(document, property, item, `${at}.${key}`));
      else if (resolved.additionalProperties === false) errors.push(`${at}.${key}: not in the schema`);
      else if (typeof resolved.additionalProperties === 'object')
        errors.push(...schemaErrors(document, resolved.additionalProperties, item, `${at}.${key}`));
    }
  }
  return errors;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    default:
      return true;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

// ---------------------------------------------------------------------------------------------
// Reporting

function shorten(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.length > 160 ? `${value.slice(0, 160)}…(${value.length} chars)` : value;
  if (value instanceof Uint8Array) return `bytes(${value.length}) ${Buffer.from(value.subarray(0, 48)).toString('hex')}`;
  if (Array.isArray(value)) {
    const head = value.slice(0, 12).map((item) => shorten(item, depth + 1));
    return value.length > 12 ? [...head, `…(${value.length} items)`] : head;
  }
  if (typeof value === 'object' && value !== null) {
    if (depth > 6) return '{…}';
    const entries = Object.entries(value).slice(0, 24);
    return Object.fromEntries(entries.map(([key, item]) => [shorten(key) as string, shorten(item, depth + 1)]));
  }
  return value;
}

/** Counterexamples print shortened: a 1 MB body would bury the report. */
export function describable<T extends object>(value: T): T {
  Object.defineProperty(value, fc.toStringMethod, { value: () => JSON.stringify(shorten(value)), enumerable: false });
  return value;
}
