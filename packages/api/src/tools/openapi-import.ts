// Functions from an OpenAPI 3 document (issue 16 part 1): each operation with an operationId becomes
// a function whose `parameters` merge the operation's parameters and its JSON request body. Local
// `$ref`s are inlined; OpenAPI-only keywords are translated or dropped so ajv's strict mode accepts
// what is left. The endpoint defaults to `servers[0].url`.
import type { ToolFunctionJson } from '@maas/db';
import { invalidField, MAX_FUNCTIONS } from './functions-schema.js';

type Json = Record<string, unknown>;

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;
/** Keywords OpenAPI allows in a schema that are not JSON Schema draft-07 (or not ajv's). */
const DROPPED_KEYWORDS = new Set(['example', 'xml', 'externalDocs', 'discriminator', 'nullable', 'x-nullable']);
const MAX_REF_DEPTH = 16;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function resolvePointer(doc: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) throw invalidField('openapi', `only local $ref are supported (${ref})`);
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = isObject(node) ? node[key] : undefined;
  }
  if (node === undefined) throw invalidField('openapi', `unresolved $ref ${ref}`);
  return node;
}

/** A schema with local refs inlined and OpenAPI keywords translated (`nullable` → a `null` type). */
function toJsonSchema(doc: Json, schema: unknown, depth = 0): unknown {
  if (Array.isArray(schema)) return schema.map((item) => toJsonSchema(doc, item, depth));
  if (!isObject(schema)) return schema;
  if (typeof schema.$ref === 'string') {
    if (depth >= MAX_REF_DEPTH) throw invalidField('openapi', `$ref nesting deeper than ${MAX_REF_DEPTH} (recursive schema?)`);
    return toJsonSchema(doc, resolvePointer(doc, schema.$ref), depth + 1);
  }
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DROPPED_KEYWORDS.has(key) || key.startsWith('x-')) continue;
    // `properties` maps names to schemas: its keys are not keywords.
    out[key] =
      key === 'properties' && isObject(value)
        ? Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, toJsonSchema(doc, sub, depth)]))
        : toJsonSchema(doc, value, depth);
  }
  if (schema.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}

function deref(doc: Json, value: unknown): unknown {
  return isObject(value) && typeof value.$ref === 'string' ? resolvePointer(doc, value.$ref) : value;
}

function operationParameters(doc: Json, pathItem: Json, operation: Json): Json {
  const properties: Json = {};
  const required: string[] = [];
  const listed = (value: unknown): unknown[] => (Array.isArray(value) ? (value as unknown[]) : []);
  const params = [...listed(pathItem.parameters), ...listed(operation.parameters)];
  for (const raw of params) {
    const param = deref(doc, raw);
    if (!isObject(param) || typeof param.name !== 'string' || param.in === 'header' || param.in === 'cookie') continue;
    const schema = isObject(param.schema) ? (toJsonSchema(doc, param.schema) as Json) : {};
    properties[param.name] = typeof param.description === 'string' ? { ...schema, description: param.description } : schema;
    if (param.required === true && !required.includes(param.name)) required.push(param.name);
  }
  const body = deref(doc, operation.requestBody);
  const content = isObject(body) && isObject(body.content) ? body.content : {};
  const json = content['application/json'];
  if (isObject(json) && isObject(json.schema)) {
    const schema = toJsonSchema(doc, json.schema) as Json;
    if (schema.type === 'object' && isObject(schema.properties)) {
      // An object body is flattened into the arguments, as function-calling models expect.
      Object.assign(properties, schema.properties);
      if (Array.isArray(schema.required)) required.push(...schema.required.filter((name): name is string => typeof name === 'string'));
    } else {
      properties.body = schema;
      if (isObject(body) && body.required === true) required.push('body');
    }
  }
  return { type: 'object', properties, ...(required.length > 0 ? { required: [...new Set(required)] } : {}) };
}

export interface ImportedOpenApi {
  functions: ToolFunctionJson[];
  endpointUrl: string | null;
}

/** The functions an OpenAPI 3 document declares; unvalidated here (the caller validates like typed functions). */
export function importOpenApi(doc: Json): ImportedOpenApi {
  if (typeof doc.openapi !== 'string' || !doc.openapi.startsWith('3.'))
    throw invalidField('openapi.openapi', 'must be an OpenAPI 3 document');
  if (!isObject(doc.paths)) throw invalidField('openapi.paths', 'must be an object');
  const functions: ToolFunctionJson[] = [];
  for (const [path, rawItem] of Object.entries(doc.paths)) {
    const pathItem = deref(doc, rawItem);
    if (!isObject(pathItem)) continue;
    for (const method of HTTP_METHODS) {
      const operation = pathItem[method];
      if (!isObject(operation) || typeof operation.operationId !== 'string') continue;
      const description = [operation.summary, operation.description].filter((text) => typeof text === 'string' && text).join('\n');
      functions.push({
        name: operation.operationId,
        description: description || `${method.toUpperCase()} ${path}`,
        parameters: operationParameters(doc, pathItem, operation),
      });
      if (functions.length > MAX_FUNCTIONS)
        throw invalidField('openapi', `declares more than ${MAX_FUNCTIONS} operations with an operationId`);
    }
  }
  if (functions.length === 0) throw invalidField('openapi.paths', 'declares no operation with an operationId');
  const server: unknown = Array.isArray(doc.servers) ? (doc.servers as unknown[])[0] : undefined;
  const endpointUrl = isObject(server) && typeof server.url === 'string' ? server.url : null;
  return { functions, endpointUrl };
}
