// The demo marketplace's `http` tool (issue 16 part 7): arithmetic, served by the platform itself
// at POST /demo/tools/calculator, so a fresh install shows a priced tool call with no network.
// The expression is parsed here (numbers, + - * / % ^, parentheses, unary minus): never eval'd.
import type { Platform } from '../../core/platform.js';
import { decryptSecret } from '../../providers/secrets.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../runtime/signing.js';

export const DEMO_CALCULATOR_PATH = '/demo/tools/calculator';

class ExpressionError extends Error {}

/** The value of an arithmetic expression; throws ExpressionError on anything else. */
export function evaluateArithmetic(expression: string): number {
  const tokens = expression.match(/\d+(?:\.\d+)?|[-+*/%^()]|\S/g) ?? [];
  if (tokens.length === 0 || tokens.length > 200) throw new ExpressionError('empty or too long');
  let at = 0;
  const peek = () => tokens[at];
  const next = () => tokens[at++];

  function primary(depth: number): number {
    if (depth > 50) throw new ExpressionError('nested too deeply');
    const token = next();
    if (token === '-') return -primary(depth + 1);
    if (token === '+') return primary(depth + 1);
    if (token === '(') {
      const value = sum(depth + 1);
      if (next() !== ')') throw new ExpressionError('missing )');
      return value;
    }
    if (token !== undefined && /^\d/.test(token)) return Number(token);
    throw new ExpressionError(`unexpected ${token ?? 'end'}`);
  }
  function power(depth: number): number {
    const base = primary(depth);
    if (peek() !== '^') return base;
    next();
    return base ** power(depth + 1);
  }
  function product(depth: number): number {
    let value = power(depth);
    while (peek() === '*' || peek() === '/' || peek() === '%') {
      const op = next();
      const right = power(depth);
      value = op === '*' ? value * right : op === '/' ? value / right : value % right;
    }
    return value;
  }
  function sum(depth: number): number {
    let value = product(depth);
    while (peek() === '+' || peek() === '-') value = next() === '+' ? value + product(depth) : value - product(depth);
    return value;
  }

  const value = sum(0);
  if (at !== tokens.length) throw new ExpressionError(`unexpected ${tokens[at]}`);
  if (!Number.isFinite(value)) throw new ExpressionError('the result is not a finite number');
  return value;
}

export interface DemoToolAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * One signed call of the calculator. The signature is checked with the secret of the tool the body
 * names, and only for a tool whose endpoint is this route: the route serves the demo tool, not any.
 */
export async function answerDemoCalculator(
  platform: Platform,
  headers: Record<string, string | string[] | undefined>,
  rawBody: string,
): Promise<DemoToolAnswer> {
  let body: { tool_id?: unknown; arguments?: { expression?: unknown } };
  try {
    body = JSON.parse(rawBody) as typeof body;
  } catch {
    return { status: 400, body: { error: 'body must be JSON' } };
  }
  const tool =
    typeof body.tool_id === 'string'
      ? await platform.db
          .selectFrom('tools as t')
          .innerJoin('tool_versions as v', (join) => join.onRef('v.tool_id', '=', 't.id').onRef('v.version', '=', 't.version'))
          .select(['t.id', 't.signing_secret_enc', 'v.endpoint_url'])
          .where('t.id', '=', body.tool_id)
          .executeTakeFirst()
      : undefined;
  const ours = tool?.signing_secret_enc && tool.endpoint_url && new URL(tool.endpoint_url).pathname === DEMO_CALCULATOR_PATH;
  if (!ours || !verifySignature(decryptSecret(platform.config, tool.signing_secret_enc!, tool.id), rawBody, signatureHeaders(headers))) {
    return { status: 401, body: { error: 'bad signature' } };
  }
  const expression = body.arguments?.expression;
  if (typeof expression !== 'string') return { status: 400, body: { error: 'arguments.expression must be a string' } };
  try {
    const value = evaluateArithmetic(expression);
    return { status: 200, body: { result: `${expression} = ${Number(value.toPrecision(15))}` } };
  } catch (error) {
    // The model is told what was wrong, as a tool's answer (not a failure of the tool).
    return { status: 200, body: { error: `cannot compute "${expression}": ${(error as Error).message}` } };
  }
}

function signatureHeaders(headers: Record<string, string | string[] | undefined>) {
  const one = (value: string | string[] | undefined) => (typeof value === 'string' ? value : undefined);
  return { timestamp: one(headers[TIMESTAMP_HEADER]), signature: one(headers[SIGNATURE_HEADER]) };
}
