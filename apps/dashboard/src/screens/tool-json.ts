/** A starting point for an http tool's functions: one function with a JSON Schema for its arguments. */
export const SAMPLE_FUNCTIONS = JSON.stringify(
  [
    {
      name: 'lookup',
      description: 'Look something up',
      parameters: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
    },
  ],
  null,
  2,
);

export interface FunctionInput {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The functions textarea as an array of functions, or null when it is not one (the API checks the rest). */
export function parseFunctions(text: string): FunctionInput[] | null {
  try {
    const value = JSON.parse(text) as unknown;
    if (!Array.isArray(value) || !value.every((f) => isObject(f) && typeof f.name === 'string' && isObject(f.parameters))) return null;
    return value.map((f: Record<string, unknown>) => ({
      name: f.name as string,
      description: typeof f.description === 'string' ? f.description : '',
      parameters: f.parameters as Record<string, unknown>,
    }));
  } catch {
    return null;
  }
}

/** The config schema textarea: undefined when empty, the object, or null when it is not a JSON object. */
export function parseSchema(text: string): Record<string, unknown> | undefined | null {
  if (!text.trim()) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}
