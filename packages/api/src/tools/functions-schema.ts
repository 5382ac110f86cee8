// What a tool's signature may be (issue 16 part 1): functions whose `parameters` are JSON Schema
// objects that ajv 8 compiles in strict mode, and a `config_schema` whose secret fields are known.
// Every refusal is a 400 naming the field (`functions[1].parameters`), so an author can fix it.
import type { ToolFunctionJson } from '@maas/db';
import { Ajv, type ErrorObject } from 'ajv';
import { AppError } from '../core/errors.js';

export const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
export const MAX_FUNCTIONS = 64;
export const MAX_DESCRIPTION = 4096;
/** Per function schema, and for a config schema: enough for any real signature, small enough to offer to a model. */
export const MAX_SCHEMA_BYTES = 32 * 1024;
export const MAX_FUNCTIONS_BYTES = 256 * 1024;

export function invalidField(field: string, reason: string): AppError {
  return new AppError('INVALID_REQUEST', { message: 'TOOL_FIELD_INVALID', params: { field, reason }, details: { field, reason } });
}

/**
 * A strict validator: unknown keywords and ill-typed schemas are compile errors. `secret` is the
 * platform's own annotation for config fields; formats are annotations only (no format plug-in).
 * A new instance per use: compiled schemas are not kept across requests.
 */
export function strictAjv(): Ajv {
  const ajv = new Ajv({ strict: true, allowUnionTypes: true, validateFormats: false, allErrors: false });
  ajv.addKeyword({ keyword: 'secret', schemaType: 'boolean' });
  return ajv;
}

function byteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Drops `$schema` (draft-07 is what ajv speaks; MCP servers often announce 2020-12 for plain schemas). */
function withoutDialect(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}

/** An object schema that ajv compiles strictly; throws the 400 naming `field` otherwise. */
export function assertObjectSchema(schema: unknown, field: string): Record<string, unknown> {
  if (!isPlainObject(schema)) throw invalidField(field, 'must be a JSON Schema object');
  if (schema.type !== 'object') throw invalidField(field, 'must have "type": "object"');
  if (byteLength(schema) > MAX_SCHEMA_BYTES) throw invalidField(field, `must be at most ${MAX_SCHEMA_BYTES} bytes`);
  const clean = withoutDialect(schema);
  try {
    strictAjv().compile(clean);
  } catch (error) {
    throw invalidField(field, error instanceof Error ? error.message : String(error));
  }
  return clean;
}

/** Validates and normalises a function list; `field` is where it came from (`functions`, `openapi`, `server_url`). */
export function validateFunctions(functions: unknown, field = 'functions'): ToolFunctionJson[] {
  if (!Array.isArray(functions)) throw invalidField(field, 'must be an array');
  if (functions.length === 0) throw invalidField(field, 'must hold at least one function');
  if (functions.length > MAX_FUNCTIONS) throw invalidField(field, `must hold at most ${MAX_FUNCTIONS} functions`);
  if (byteLength(functions) > MAX_FUNCTIONS_BYTES) throw invalidField(field, `must be at most ${MAX_FUNCTIONS_BYTES} bytes`);
  const seen = new Set<string>();
  return functions.map((fn: unknown, i) => {
    const at = `${field}[${i}]`;
    if (!isPlainObject(fn)) throw invalidField(at, 'must be an object');
    const { name, description = '', parameters } = fn;
    if (typeof name !== 'string' || !FUNCTION_NAME.test(name)) throw invalidField(`${at}.name`, 'must match ^[a-zA-Z0-9_-]{1,64}$');
    if (seen.has(name)) throw invalidField(`${at}.name`, `duplicate function name "${name}"`);
    seen.add(name);
    if (typeof description !== 'string' || description.length > MAX_DESCRIPTION) {
      throw invalidField(`${at}.description`, `must be a string of at most ${MAX_DESCRIPTION} characters`);
    }
    return { name, description, parameters: assertObjectSchema(parameters, `${at}.parameters`) };
  });
}

/** The config fields that are secret: `"secret": true` or `"writeOnly": true` on a top-level property. */
export function secretFields(configSchema: Record<string, unknown> | null): string[] {
  const properties = configSchema?.properties;
  if (!isPlainObject(properties)) return [];
  return Object.entries(properties)
    .filter(([, property]) => isPlainObject(property) && (property.secret === true || property.writeOnly === true))
    .map(([name]) => name);
}

/** A readable reason from ajv's first error, e.g. `/api_key must be string`. */
export function ajvReason(errors: ErrorObject[] | null | undefined): string {
  const first = errors?.[0];
  if (!first) return 'is invalid';
  const where = first.instancePath || '(root)';
  return `${where} ${first.message ?? 'is invalid'}`;
}

/** Validates `value` against `schema` (already accepted at publish); throws the 400 naming `field`. */
export function assertMatches(schema: Record<string, unknown>, value: unknown, field: string): void {
  let validate;
  try {
    validate = strictAjv().compile(withoutDialect(schema));
  } catch (error) {
    throw invalidField(field, `the tool's schema does not compile: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!validate(value)) throw invalidField(field, ajvReason(validate.errors));
}
