/**
 * Writes `.generated/app-router.ts`: a self-contained copy of the router's *public* type (every
 * procedure's kind, input and output, and the error shape) that depends on `@trpc/server` only,
 * with the server's other wire types the SDK derives from (the chat stream's events, the error
 * code-to-status table).
 *
 * Why: `AppRouter` from `@maas/api` carries the server's context (kysely, the platform caches) and
 * its OpenAPI meta in its type, so a d.ts bundled from it would import unpublished workspace
 * packages and half of the server's dependencies. `tsconfig.build.json` maps `@maas/api` to this
 * file, so the published declarations are built from it; in the workspace the SDK keeps using the
 * live router type. `pnpm build` regenerates it first, so a release is never stale.
 *
 * Run: `tsx scripts/generate-router-types.ts` (add `--check` to fail when the file would change).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outFile = path.join(packageDir, '.generated', 'app-router.ts');
const probeFile = path.join(packageDir, 'src', '__router_probe__.ts');
/** Wire types besides the router that the SDK takes from `@maas/api`, written out under the same names. */
const EXTRA_TYPES = {
  ChatStreamEvent: 'One event of the streaming app chat (`POST /api/v1/applications/{app_id}/chat`, `stream: true`).',
  ErrorStatusTable: "The server's error code to HTTP status table (`ERROR_STATUS`).",
} as const;
const probeSource = [
  `import type { AppRouter, ${Object.keys(EXTRA_TYPES).join(', ')} } from '@maas/api';`,
  'export type Probe = AppRouter;',
  ...Object.keys(EXTRA_TYPES).map((name) => `export type Probe${name} = ${name};`),
  '',
].join('\n');

function fail(message: string): never {
  console.error(`generate-router-types: ${message}`);
  process.exit(1);
}

function loadProgram(): ts.Program {
  const configPath = path.join(packageDir, 'tsconfig.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')),
    },
  );
  if (!parsed) fail(`cannot read ${configPath}`);
  const host = ts.createCompilerHost(parsed.options);
  // The probe exists only in memory: the generator never writes into src/.
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) =>
    path.resolve(fileName) === probeFile
      ? ts.createSourceFile(fileName, probeSource, languageVersion, true)
      : getSourceFile(fileName, languageVersion, onError, shouldCreate);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => path.resolve(fileName) === probeFile || fileExists(fileName);
  const readFile = host.readFile.bind(host);
  host.readFile = (fileName) => (path.resolve(fileName) === probeFile ? probeSource : readFile(fileName));
  return ts.createProgram({ rootNames: [probeFile], options: parsed.options, host });
}

const program = loadProgram();
const checker = program.getTypeChecker();
const warnings: string[] = [];

function probedType(probeName: string, exported: string): ts.Type {
  const source = program.getSourceFile(probeFile);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  const probe = moduleSymbol && checker.getExportsOfModule(moduleSymbol).find((s) => s.name === probeName);
  if (!probe) fail(`cannot find the ${exported} type exported by @maas/api`);
  const type = checker.getDeclaredTypeOfSymbol(probe);
  if (type.flags & ts.TypeFlags.Any) fail(`${exported} resolved to \`any\`: does @maas/api export it?`);
  return type;
}

function routerType(): ts.Type {
  return probedType('Probe', 'AppRouter');
}

function propertyType(type: ts.Type, name: string, where: string): ts.Type {
  const symbol = checker.getPropertyOfType(type, name);
  if (!symbol) fail(`${where} has no property "${name}"`);
  return checker.getTypeOfSymbol(symbol);
}

// ---------------------------------------------------------------------------------------------
// A structural type printer: named server types are written out member by member, so the output
// refers to nothing but TypeScript's own lib types.

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const hoisted = new Map<ts.Type, { name: string; body?: string }>();
const printing: ts.Type[] = [];
let libArgumentDepth = 0;

function isLibSymbol(symbol: ts.Symbol | undefined): boolean {
  const declarations = symbol?.getDeclarations() ?? [];
  return declarations.length > 0 && declarations.every((d) => program.isSourceFileDefaultLibrary(d.getSourceFile()));
}

function isPlainObject(type: ts.Type): boolean {
  if (!(type.flags & ts.TypeFlags.Object)) return false;
  if (checker.isArrayType(type) || checker.isTupleType(type)) return false;
  const symbol = type.getSymbol();
  return !(symbol && symbol.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface) && isLibSymbol(symbol));
}

function isNullish(type: ts.Type): boolean {
  return (type.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)) !== 0;
}

function wrap(text: string, type: ts.Type): string {
  if (type.isIntersection() && type.types.every(isPlainObject)) return text; // printed as one object literal
  return type.flags & (ts.TypeFlags.Union | ts.TypeFlags.Intersection) && !(type.flags & ts.TypeFlags.Boolean) ? `(${text})` : text;
}

function printType(type: ts.Type, indent: string, where: string): string {
  const f = type.flags;
  if (f & ts.TypeFlags.Any) {
    // A lib type's own defaults (AsyncGenerator's TNext) are fine; anything else is a hole in the contract.
    if (libArgumentDepth === 0) warnings.push(`${where} is \`any\``);
    return 'any';
  }
  if (f & ts.TypeFlags.Unknown) return 'unknown';
  if (f & ts.TypeFlags.Never) return 'never';
  if (f & ts.TypeFlags.Void) return 'void';
  if (f & ts.TypeFlags.Undefined) return 'undefined';
  if (f & ts.TypeFlags.Null) return 'null';
  if (f & ts.TypeFlags.Boolean) return 'boolean';
  if (f & ts.TypeFlags.String) return 'string';
  if (f & ts.TypeFlags.Number) return 'number';
  if (f & ts.TypeFlags.BigInt) return 'bigint';
  if (f & ts.TypeFlags.ESSymbol) return 'symbol';
  if (f & ts.TypeFlags.NonPrimitive) return 'object';
  if (f & (ts.TypeFlags.StringLiteral | ts.TypeFlags.NumberLiteral | ts.TypeFlags.BooleanLiteral | ts.TypeFlags.BigIntLiteral)) {
    return checker.typeToString(type);
  }
  if (f & ts.TypeFlags.TemplateLiteral) return checker.typeToString(type);

  const seen = hoisted.get(type);
  if (seen && seen.body !== undefined) return seen.name;
  if (printing.includes(type)) {
    // A recursive type (e.g. a JSON value): written once as a named alias, referred to by name.
    const name = `Recursive${hoisted.size + 1}`;
    hoisted.set(type, { name });
    return name;
  }
  printing.push(type);
  try {
    return printCompound(type, indent, where);
  } finally {
    printing.pop();
  }
}

function printCompound(type: ts.Type, indent: string, where: string): string {
  if (type.isUnion()) {
    const members = type.types;
    const hasTrue = members.some((m) => m.flags & ts.TypeFlags.BooleanLiteral && checker.typeToString(m) === 'true');
    const hasFalse = members.some((m) => m.flags & ts.TypeFlags.BooleanLiteral && checker.typeToString(m) === 'false');
    const parts: string[] = [];
    // null and undefined last, as people write them.
    const ordered = [...members].sort((a, b) => Number(isNullish(a)) - Number(isNullish(b)));
    for (const member of ordered) {
      if (hasTrue && hasFalse && member.flags & ts.TypeFlags.BooleanLiteral) {
        if (!parts.includes('boolean')) parts.push('boolean');
        continue;
      }
      parts.push(wrap(printType(member, indent, where), member));
    }
    return parts.join(' | ');
  }
  if (type.isIntersection()) {
    if (type.types.every(isPlainObject)) return printObject(type, indent, where);
    return type.types.map((m) => wrap(printType(m, indent, where), m)).join(' & ');
  }
  if (checker.isTupleType(type)) {
    const reference = type as ts.TupleTypeReference;
    const flags = reference.target.elementFlags;
    const elements = checker.getTypeArguments(reference).map((element, i) => {
      const text = printType(element, indent, `${where}[${i}]`);
      const flag = flags[i] ?? ts.ElementFlags.Required;
      if (flag & ts.ElementFlags.Rest) return `...${wrap(text, element)}[]`;
      return flag & ts.ElementFlags.Optional ? `${wrap(text, element)}?` : text;
    });
    return `${reference.target.readonly ? 'readonly ' : ''}[${elements.join(', ')}]`;
  }
  if (checker.isArrayType(type)) {
    const [element] = checker.getTypeArguments(type as ts.TypeReference);
    const readonly = type.getSymbol()?.name === 'ReadonlyArray' ? 'readonly ' : '';
    return element ? `${readonly}${wrap(printType(element, indent, `${where}[]`), element)}[]` : 'unknown[]';
  }
  const symbol = type.getSymbol();
  if (symbol && symbol.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface) && isLibSymbol(symbol)) {
    // Date, Uint8Array, AsyncGenerator…: a global name; only its type arguments need printing.
    const reference = type as ts.TypeReference;
    const target = (reference.target ?? type) as ts.InterfaceType;
    const count = target.localTypeParameters?.length ?? 0;
    const args = count > 0 && reference.target ? checker.getTypeArguments(reference).slice(0, count) : [];
    if (args.length === 0) return symbol.name;
    libArgumentDepth += 1;
    try {
      return `${symbol.name}<${args.map((a, i) => printType(a, indent, `${where}<${i}>`)).join(', ')}>`;
    } finally {
      libArgumentDepth -= 1;
    }
  }
  if (type.flags & ts.TypeFlags.Object) {
    if (type.getCallSignatures().length > 0 || type.getConstructSignatures().length > 0) {
      warnings.push(`${where} is a function type; printed as written by TypeScript`);
      return checker.typeToString(type, undefined, ts.TypeFormatFlags.NoTruncation);
    }
    return printObject(type, indent, where);
  }
  warnings.push(`${where} has an unexpected type (${checker.typeToString(type)}); printed as \`unknown\``);
  return 'unknown';
}

function printObject(type: ts.Type, indent: string, where: string): string {
  const inner = `${indent}  `;
  const lines: string[] = [];
  for (const info of checker.getIndexInfosOfType(type)) {
    const key = checker.typeToString(info.keyType);
    lines.push(`${inner}${info.isReadonly ? 'readonly ' : ''}[key: ${key}]: ${printType(info.type, inner, `${where}[${key}]`)};`);
  }
  for (const property of checker.getPropertiesOfType(type)) {
    const name = IDENTIFIER.test(property.name) ? property.name : JSON.stringify(property.name);
    const optional = property.flags & ts.SymbolFlags.Optional ? '?' : '';
    const value = printType(checker.getTypeOfSymbol(property), inner, `${where}.${property.name}`);
    lines.push(`${inner}${name}${optional}: ${value};`);
  }
  return lines.length === 0 ? '{}' : `{\n${lines.join('\n')}\n${indent}}`;
}

// ---------------------------------------------------------------------------------------------

const PROCEDURE_TYPES = {
  query: 'TRPCQueryProcedure',
  mutation: 'TRPCMutationProcedure',
  subscription: 'TRPCSubscriptionProcedure',
} as const;
type ProcedureKind = keyof typeof PROCEDURE_TYPES;
let procedureCount = 0;

function printRecord(record: ts.Type, indent: string, prefix: string): string {
  const inner = `${indent}  `;
  const lines: string[] = [];
  for (const entry of checker.getPropertiesOfType(record)) {
    const name = IDENTIFIER.test(entry.name) ? entry.name : JSON.stringify(entry.name);
    const pathName = prefix ? `${prefix}.${entry.name}` : entry.name;
    const value = checker.getTypeOfSymbol(entry);
    const def = checker.getPropertyOfType(value, '_def');
    const defType = def && checker.getTypeOfSymbol(def);
    if (defType && checker.getPropertyOfType(defType, 'procedure')) {
      const kind = checker.typeToString(propertyType(defType, 'type', pathName)).replaceAll('"', '') as ProcedureKind;
      if (!(kind in PROCEDURE_TYPES)) fail(`${pathName}: unknown procedure type "${kind}"`);
      const types = propertyType(defType, '$types', pathName);
      const input = printType(propertyType(types, 'input', pathName), `${inner}  `, `${pathName} input`);
      const output = printType(propertyType(types, 'output', pathName), `${inner}  `, `${pathName} output`);
      lines.push(
        `${inner}${name}: ${PROCEDURE_TYPES[kind]}<{\n${inner}  input: ${input};\n${inner}  output: ${output};\n${inner}  meta: object;\n${inner}  errorShape: ErrorShape;\n${inner}}>;`,
      );
      procedureCount += 1;
    } else {
      lines.push(`${inner}${name}: ${printRecord(value, inner, pathName)};`);
    }
  }
  return lines.length === 0 ? '{}' : `{\n${lines.join('\n')}\n${indent}}`;
}

function generate(): string {
  const router = routerType();
  const def = propertyType(router, '_def', 'AppRouter');
  const rootTypes = propertyType(propertyType(def, '_config', 'AppRouter._def'), '$types', 'AppRouter._def._config');
  const transformer = checker.typeToString(propertyType(rootTypes, 'transformer', 'root types'));
  if (transformer !== 'false') fail(`the router uses a data transformer (${transformer}); the SDK assumes plain JSON`);
  const errorShape = printType(propertyType(rootTypes, 'errorShape', 'root types'), '', 'errorShape');
  const record = printRecord(propertyType(def, 'record', 'AppRouter._def'), '', '');
  const extras = Object.entries(EXTRA_TYPES).flatMap(([name, doc]) => [
    `/** ${doc} */`,
    `export type ${name} = ${printType(probedType(`Probe${name}`, name), '', name)};`,
    '',
  ]);
  const recursive: string[] = [];
  // A Map iterates entries added while iterating, so aliases found inside aliases are written too.
  for (const [type, entry] of hoisted) {
    entry.body = ''; // from here on, references print the alias name
    entry.body = printCompound(type, '', entry.name);
    recursive.push(`type ${entry.name} = ${entry.body};\n`);
  }
  return [
    '// Generated by packages/sdk/scripts/generate-router-types.ts from the AppRouter of packages/api.',
    '// Do not edit: `pnpm --filter @maas/sdk generate` rewrites it (and `build` runs that first).',
    "import type { TRPCBuiltRouter, TRPCMutationProcedure, TRPCQueryProcedure, TRPCSubscriptionProcedure } from '@trpc/server';",
    '',
    '/** The shape of every tRPC error the server sends (its `errorFormatter`). */',
    `export type ErrorShape = ${errorShape};`,
    '',
    ...extras,
    ...recursive,
    '/** The router as a client sees it: procedures with their inputs and outputs, no server context. */',
    `export type AppRouter = TRPCBuiltRouter<{ ctx: object; meta: object; errorShape: ErrorShape; transformer: false }, ${record}>;`,
    '',
  ].join('\n');
}

const text = generate();
for (const warning of warnings) console.warn(`generate-router-types: warning: ${warning}`);
if (process.argv.includes('--check')) {
  const current = existsSync(outFile) ? readFileSync(outFile, 'utf8') : '';
  if (current !== text) fail(`${path.relative(process.cwd(), outFile)} is out of date; run the generator`);
  console.log(`generate-router-types: up to date (${procedureCount} procedures)`);
} else {
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, text);
  console.log(`generate-router-types: wrote ${path.relative(process.cwd(), outFile)} (${procedureCount} procedures)`);
}
