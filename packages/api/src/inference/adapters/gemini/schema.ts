// JSON Schema (what OpenAI-style clients send as tool parameters and response schemas) to Gemini's
// Schema, a subset of OpenAPI 3.0. Gemini answers 400 to any keyword outside that subset
// (additionalProperties, $schema, const, …), so the conversion keeps only what Gemini reads and
// rewrites what has an equivalent: `type: [x, 'null']` → `nullable`, `const` → a one-value enum,
// `oneOf` → `anyOf`, local `$ref`s inlined.
import type { GeminiSchema } from './wire.js';

// Keywords Gemini's Schema accepts with the same meaning as JSON Schema's.
const KEPT_KEYWORDS = new Set([
  'description',
  'title',
  'nullable',
  'enum',
  'minItems',
  'maxItems',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minProperties',
  'maxProperties',
  'default',
  'example',
  'propertyOrdering',
]);
// Gemini accepts only these string formats; any other is dropped rather than refused upstream.
const STRING_FORMATS = new Set(['enum', 'date-time']);
const SCHEMA_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object', 'null']);
// A recursive schema ($ref to an ancestor) has no finite Gemini form; past this depth it is cut to
// an unconstrained value, which Gemini takes and which only loosens validation.
const MAX_DEPTH = 24;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function resolveRef(ref: string, root: Record<string, unknown>): unknown {
  const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  if (!match) return undefined;
  const definitions = root[match[1]!];
  const name = match[2]!.replace(/~1/g, '/').replace(/~0/g, '~');
  return isRecord(definitions) ? definitions[name] : undefined;
}

function convert(schema: unknown, root: Record<string, unknown>, depth: number): GeminiSchema {
  if (!isRecord(schema) || depth > MAX_DEPTH) return {};
  if (typeof schema.$ref === 'string') {
    const target = resolveRef(schema.$ref, root);
    const { $ref: _ref, ...siblings } = schema;
    return convert(isRecord(target) ? { ...target, ...siblings } : siblings, root, depth + 1);
  }

  const out: GeminiSchema = {};
  const types = (Array.isArray(schema.type) ? schema.type : [schema.type]).filter(
    (type): type is string => typeof type === 'string' && SCHEMA_TYPES.has(type),
  );
  const nonNull = types.filter((type) => type !== 'null');
  if (types.includes('null') && nonNull.length < types.length) out.nullable = true;
  if (nonNull.length === 1) out.type = nonNull[0];
  else if (nonNull.length > 1) {
    // `type: ['string', 'number']` has no single Gemini type: say it as anyOf.
    out.anyOf = nonNull.map((type) => convert({ ...schema, type }, root, depth + 1));
    if (out.nullable) out.anyOf = (out.anyOf as GeminiSchema[]).map((branch) => ({ ...branch, nullable: true }));
    return out;
  }

  for (const [key, value] of Object.entries(schema)) {
    if (KEPT_KEYWORDS.has(key)) out[key] = value;
  }
  if ('const' in schema) out.enum = [schema.const];
  if (Array.isArray(out.enum)) {
    // Gemini's enum is a list of strings (on a string schema).
    out.enum = out.enum.filter((value) => value !== null).map(String);
    out.type = 'string';
    out.format = 'enum';
  } else if (typeof schema.format === 'string' && STRING_FORMATS.has(schema.format) && out.type === 'string') {
    out.format = schema.format;
  }

  if (isRecord(schema.properties)) {
    const properties: Record<string, GeminiSchema> = {};
    for (const [name, property] of Object.entries(schema.properties)) properties[name] = convert(property, root, depth + 1);
    out.properties = properties;
    out.type ??= 'object';
  }
  if (Array.isArray(schema.required)) {
    const declared = isRecord(out.properties) ? out.properties : {};
    // Gemini refuses a required name that is not a declared property.
    out.required = schema.required.filter((name): name is string => typeof name === 'string' && name in declared);
  }
  if (schema.items !== undefined) {
    out.items = convert(Array.isArray(schema.items) ? schema.items[0] : schema.items, root, depth + 1);
    out.type ??= 'array';
  }

  const alternatives = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : null;
  if (alternatives) {
    const branches = alternatives.filter(isRecord);
    const nullBranch = branches.some((branch) => branch.type === 'null');
    const rest = branches.filter((branch) => branch.type !== 'null').map((branch) => convert(branch, root, depth + 1));
    if (nullBranch) out.nullable = true;
    if (rest.length === 1) Object.assign(out, rest[0], out.nullable ? { nullable: true } : {});
    else if (rest.length > 1) out.anyOf = rest;
  }
  if (Array.isArray(schema.allOf)) {
    // Merge the branches: what Gemini cannot say as an intersection it can say as one object.
    for (const branch of schema.allOf) {
      const converted = convert(branch, root, depth + 1);
      if (isRecord(converted.properties) && isRecord(out.properties)) {
        out.properties = { ...out.properties, ...converted.properties };
        const required = [...((out.required as string[] | undefined) ?? []), ...((converted.required as string[] | undefined) ?? [])];
        Object.assign(out, { ...converted, properties: out.properties, required });
      } else Object.assign(out, converted, out);
    }
  }
  return out;
}

/** A JSON Schema in Gemini's Schema subset. */
export function toGeminiSchema(schema: Record<string, unknown>): GeminiSchema {
  return convert(schema, schema, 0);
}

/**
 * Tool parameters in Gemini's form, or undefined for a tool that takes no arguments: Gemini refuses
 * an OBJECT schema with no properties, and a declaration without `parameters` means the same thing.
 */
export function toGeminiParameters(parameters: Record<string, unknown> | undefined): GeminiSchema | undefined {
  if (parameters === undefined) return undefined;
  const converted = toGeminiSchema(parameters);
  if (converted.type === 'object' && (!isRecord(converted.properties) || Object.keys(converted.properties).length === 0)) return undefined;
  return converted;
}
