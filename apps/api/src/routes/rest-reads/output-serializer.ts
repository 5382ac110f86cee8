import type { z } from 'zod';

/**
 * A procedure's output schema compiled into a function that checks a value and writes its JSON in
 * one pass (issue 18 target 1: output validation that costs no more than a compiled serializer).
 *
 * It is sound, not complete: when it answers, the answer is exactly `JSON.stringify` of what the
 * zod parse would have returned (same fields, same order, unknown fields stripped); anything it does
 * not fully understand — a check it does not know, a transform, a missing field, a wrong type — makes
 * it give up (`undefined`), and the caller then runs the zod parse itself, which answers or fails
 * exactly as before. Subtrees of kinds it does not compile (unions, records, strict objects, …) are
 * parsed by zod on their own and written with JSON.stringify.
 */
export type OutputSerializer = (value: unknown) => string | undefined;

/** Thrown inside the compiled writers to give up (made once: no stack to capture per throw); never escapes. */
const GIVE_UP = new Error('the output serializer leaves this value to zod');

/** Writes one value; `undefined` means "no JSON value" (an omitted optional field). */
type Writer = (value: unknown) => string | undefined;

interface ZodInternals {
  def: {
    type: string;
    checks?: { _zod: { def: { check: string; format?: string } } }[];
    coerce?: boolean;
    shape?: Record<string, z.ZodType>;
    catchall?: unknown;
    innerType?: z.ZodType;
    element?: z.ZodType;
    entries?: Record<string, unknown>;
    values?: unknown[];
  };
}

function internals(schema: z.ZodType): ZodInternals {
  return (schema as unknown as { _zod: ZodInternals })._zod;
}

function giveUp(): never {
  throw GIVE_UP;
}

export function compileOutputSerializer(schema: z.ZodType): OutputSerializer {
  const write = compile(schema);
  return (value) => {
    try {
      return write(value);
    } catch (error) {
      if (error === GIVE_UP) return undefined;
      throw error;
    }
  };
}

function compile(schema: z.ZodType): Writer {
  const { def } = internals(schema);
  const checks = def.checks ?? [];
  // A coerced schema changes its input before checking it: only zod itself says what comes out.
  if (def.coerce) return parsedByZod(schema);
  switch (def.type) {
    case 'string':
      if (checks.length > 0) return parsedByZod(schema);
      return (value) => (typeof value === 'string' ? JSON.stringify(value) : giveUp());
    case 'number': {
      const kinds = checks.map((check) => `${check._zod.def.check}:${check._zod.def.format ?? ''}`);
      if (kinds.length === 0) return (value) => (typeof value === 'number' && Number.isFinite(value) ? String(value) : giveUp());
      if (kinds.length === 1 && kinds[0] === 'number_format:safeint')
        return (value) => (typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : giveUp());
      return parsedByZod(schema);
    }
    case 'boolean':
      if (checks.length > 0) return parsedByZod(schema);
      return (value) => (value === true ? 'true' : value === false ? 'false' : giveUp());
    case 'enum': {
      if (checks.length > 0 || !def.entries) return parsedByZod(schema);
      const allowed = new Set(Object.values(def.entries));
      return (value) => (allowed.has(value) ? JSON.stringify(value) : giveUp());
    }
    case 'literal': {
      if (checks.length > 0 || !def.values) return parsedByZod(schema);
      const allowed = new Set(def.values);
      return (value) => (allowed.has(value) && value !== undefined ? JSON.stringify(value) : giveUp());
    }
    case 'nullable': {
      if (checks.length > 0 || !def.innerType) return parsedByZod(schema);
      const inner = compile(def.innerType);
      return (value) => (value === null ? 'null' : inner(value));
    }
    case 'optional': {
      if (checks.length > 0 || !def.innerType) return parsedByZod(schema);
      const inner = compile(def.innerType);
      return (value) => (value === undefined ? undefined : inner(value));
    }
    case 'array': {
      if (checks.length > 0 || !def.element) return parsedByZod(schema);
      const element = compile(def.element);
      return (value) => {
        if (!Array.isArray(value)) giveUp();
        let json = '[';
        for (let i = 0; i < value.length; i++) json += `${i === 0 ? '' : ','}${element(value[i]) ?? 'null'}`;
        return `${json}]`;
      };
    }
    case 'object':
      // Strict and passthrough objects (a catchall) are zod's to judge.
      if (checks.length > 0 || def.catchall !== undefined || !def.shape) return parsedByZod(schema);
      return compileObject(def.shape);
    default:
      return parsedByZod(schema);
  }
}

function compileObject(shape: Record<string, z.ZodType>): Writer {
  const fields = Object.entries(shape)
    .filter(([key]) => key !== '__proto__')
    .map(([key, fieldSchema]) => ({
      key,
      // `"key":`, written once.
      label: `${JSON.stringify(key)}:`,
      optional: internals(fieldSchema).def.type === 'optional',
      write: compile(fieldSchema),
    }));
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) giveUp();
    const record = value as Record<string, unknown>;
    let json = '{';
    let first = true;
    for (const field of fields) {
      const fieldValue = record[field.key];
      // An absent required field is zod's error to word; an absent optional one is left out.
      if (fieldValue === undefined && !(field.key in record) && !field.optional) giveUp();
      const written = field.write(fieldValue);
      if (written === undefined) continue;
      json += `${first ? '' : ','}${field.label}${written}`;
      first = false;
    }
    return `${json}}`;
  };
}

/** A subtree zod parses on its own (synchronously); any issue gives the whole value back to zod. */
function parsedByZod(schema: z.ZodType): Writer {
  return (value) => {
    let result: ReturnType<z.ZodType['safeParse']>;
    try {
      result = schema.safeParse(value);
    } catch {
      // An asynchronous refinement or transform: the full asynchronous parse decides.
      return giveUp();
    }
    return result.success ? JSON.stringify(result.data) : giveUp();
  };
}
