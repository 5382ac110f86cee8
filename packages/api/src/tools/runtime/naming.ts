/*
 * The name a model (or an MCP client) sees for a tool function (issue 16 part 4):
 * `t_<slug>__<function>`, at most 64 characters of [A-Za-z0-9_-] (what OpenAI, Anthropic and MCP
 * clients accept), unique among the names already `taken`.
 */

export const MAX_EXPOSED_NAME = 64;
/** The slug keeps at least this many characters when a long function name needs the room. */
const MIN_SLUG = 8;

/** Lower-case [a-z0-9_-] of a tool's name; runs of anything else become one `_`. */
export function toolSlug(toolName: string): string {
  const slug = toolName
    .normalize('NFKD')
    // Accents come apart under NFKD; dropping the marks keeps `ö` as `o`.
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .replace(/^[_-]+|[_-]+$/g, '');
  return slug === '' ? 'tool' : slug;
}

function functionPart(functionName: string): string {
  const part = functionName.replace(/[^A-Za-z0-9_-]+/g, '_');
  return part === '' ? 'fn' : part;
}

/**
 * The exposed name of `functionName` of the tool called `toolName`; a name already in `taken`
 * gets a `_2`, `_3`… suffix. The result is added to `taken`, so calling this for every function
 * of an app (or of an MCP key's tools) in a stable order gives stable, unique names.
 */
export function exposedToolName(toolName: string, functionName: string, taken: Set<string>): string {
  let fn = functionPart(functionName);
  const fixed = 't_'.length + '__'.length;
  if (fixed + MIN_SLUG + fn.length > MAX_EXPOSED_NAME) fn = fn.slice(0, MAX_EXPOSED_NAME - fixed - MIN_SLUG);
  const slug = toolSlug(toolName).slice(0, MAX_EXPOSED_NAME - fixed - fn.length);
  const base = `t_${slug}__${fn}`;
  let name = base;
  for (let n = 2; taken.has(name); n++) {
    const suffix = `_${n}`;
    name = `${base.slice(0, MAX_EXPOSED_NAME - suffix.length)}${suffix}`;
  }
  taken.add(name);
  return name;
}
