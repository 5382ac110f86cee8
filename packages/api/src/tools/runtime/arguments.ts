import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/*
 * The arguments of a tool call, checked against the function's JSON Schema before anything is
 * called or held (issue 16 part 3). A model that writes bad arguments is told what was wrong, as
 * the tool's result, so that it can try again: never a 500.
 */

/** Compiled validators, one per tool version and function, at most `max` (least recently used go first). */
export class ArgumentValidators {
  readonly #ajv = new Ajv({
    // Authors' schemas carry keywords ajv does not know (examples, x-…) and formats it has no
    // checker for: those are annotations, not reasons to refuse every call.
    strict: false,
    validateFormats: false,
    allErrors: true,
    logger: false,
  });
  readonly #cache = new Map<string, ValidateFunction | Error>();

  constructor(private readonly max = 1_000) {}

  /** The validator of `schema`, compiled once for `key`; an Error when the schema itself does not compile. */
  validatorFor(key: string, schema: Record<string, unknown>): ValidateFunction | Error {
    const cached = this.#cache.get(key);
    if (cached) {
      // Map order is insertion order: re-inserting makes this the most recently used.
      this.#cache.delete(key);
      this.#cache.set(key, cached);
      return cached;
    }
    let compiled: ValidateFunction | Error;
    try {
      // The draft is ajv's default (draft-07, which 2019/2020 schemas of tools use compatibly);
      // a `$schema` naming another draft would make ajv look for a meta-schema it does not have.
      const { $schema: _draft, ...rest } = schema;
      compiled = this.#ajv.compile(rest);
    } catch (error) {
      compiled = error instanceof Error ? error : new Error(String(error));
    }
    this.#cache.set(key, compiled);
    if (this.#cache.size > this.max) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    return compiled;
  }

  get size(): number {
    return this.#cache.size;
  }
}

/** `schema`: the tool's own schema does not compile (the author's fault, not the model's). */
export type ArgumentsCheck =
  { ok: true; arguments: Record<string, unknown> } | { ok: false; fault: 'arguments' | 'schema'; problem: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeIssue(issue: ErrorObject): string {
  const at = issue.instancePath === '' ? 'arguments' : `arguments${issue.instancePath.replaceAll('/', '.')}`;
  const params = issue.params as Record<string, unknown>;
  if (issue.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    return `${at} must not have property "${params.additionalProperty}"`;
  }
  if (issue.keyword === 'enum' && Array.isArray(params.allowedValues)) {
    return `${at} must be one of ${JSON.stringify(params.allowedValues)}`;
  }
  return `${at} ${issue.message ?? 'is invalid'}`;
}

/** The first few problems in one line a model can act on. */
export function summariseIssues(issues: readonly ErrorObject[], limit = 5): string {
  const lines = [...new Set(issues.map(describeIssue))];
  const shown = lines.slice(0, limit).join('; ');
  return lines.length > limit ? `${shown}; and ${lines.length - limit} more` : shown;
}

/**
 * Parses the model's JSON, lays the installer's fixed arguments over it (they win: the model
 * never sees them, so it cannot override them) and validates the whole against the schema.
 */
export function checkArguments(
  validators: ArgumentValidators,
  key: string,
  schema: Record<string, unknown>,
  argumentsJson: string,
  fixedArguments: Record<string, unknown>,
): ArgumentsCheck {
  let parsed: unknown;
  // Models send "" for a function without parameters.
  if (argumentsJson.trim() === '') parsed = {};
  else {
    try {
      parsed = JSON.parse(argumentsJson);
    } catch (error) {
      return {
        ok: false,
        fault: 'arguments',
        problem: `arguments are not valid JSON (${error instanceof Error ? error.message : 'parse error'})`,
      };
    }
  }
  if (!isObject(parsed)) return { ok: false, fault: 'arguments', problem: 'arguments must be a JSON object' };
  const merged = { ...parsed, ...fixedArguments };
  const validate = validators.validatorFor(key, schema);
  if (validate instanceof Error)
    return { ok: false, fault: 'schema', problem: `the tool's parameter schema cannot be used (${validate.message})` };
  if (validate(merged)) return { ok: true, arguments: merged };
  return { ok: false, fault: 'arguments', problem: summariseIssues(validate.errors ?? []) };
}
