import { parseArgs } from 'node:util';
import { type Command, commands } from './commands.js';
import { describeFailure, UsageError } from './errors.js';
import type { Env } from './platform.js';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Env;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

const GLOBAL_OPTIONS = {
  json: { type: 'boolean', description: 'print the result as JSON' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
} as const;

function optionUsage(name: string, spec: Command['options'][string]): string {
  const flag = spec.type === 'string' ? `--${name} <${spec.placeholder ?? 'value'}>` : `--${name}`;
  return spec.required ? flag : `[${flag}]`;
}

export function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: pnpm maas <command> [options]',
    '',
    "Operates the platform with the server's configuration (DATABASE_URL or DATA_DIR, MAAS_* variables).",
    'Every command first applies pending migrations. With embedded PGlite (no DATABASE_URL), stop the server first.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options for every command:',
    '  --json      print the result as JSON',
    '  -h, --help  show help (also: pnpm maas <command> --help)',
    '',
    'Exit codes: 0 done, 1 the command failed, 2 bad command line.',
  ].join('\n');
}

export function commandUsage(command: Command): string {
  const flags = Object.entries(command.options).map(([name, spec]) => optionUsage(name, spec));
  const width = Math.max(8, ...Object.keys(command.options).map((n) => n.length + 2));
  return [
    `Usage: pnpm maas ${command.name}${flags.length ? ` ${flags.join(' ')}` : ''} [--json]`,
    '',
    command.summary,
    ...(flags.length
      ? [
          '',
          'Options:',
          ...Object.entries(command.options).map(
            ([name, spec]) => `  ${`--${name}`.padEnd(width)}  ${spec.description}${spec.required ? ' (required)' : ''}`,
          ),
        ]
      : []),
  ].join('\n');
}

function parseCommandLine(command: Command, args: string[]) {
  const options = {
    ...GLOBAL_OPTIONS,
    ...Object.fromEntries(Object.entries(command.options).map(([name, spec]) => [name, { type: spec.type }])),
  };
  let parsed;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const values: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(parsed.values)) {
    if (typeof value === 'string') values[name] = value;
  }
  if (parsed.values.help === true) return { help: true, json: false, values };
  for (const [name, spec] of Object.entries(command.options)) {
    if (spec.required && (values[name] === undefined || values[name].trim() === '')) throw new UsageError(`--${name} is required`);
  }
  return { help: false, json: parsed.values.json === true, values };
}

/** Runs one command line; returns the exit code (the caller sets process.exitCode). */
export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr(usage());
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return EXIT_OK;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr(`error: unknown command "${name}"\n\n${usage()}`);
    return EXIT_USAGE;
  }
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(command, rest);
  } catch (error) {
    io.stderr(`error: ${await describeFailure(error)}\n\n${commandUsage(command)}`);
    return EXIT_USAGE;
  }
  if (parsed.help) {
    io.stdout(commandUsage(command));
    return EXIT_OK;
  }
  try {
    const result = await command.run(parsed.values, io.env);
    io.stdout(parsed.json ? JSON.stringify(result.json) : result.text);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`error: ${error.message}\n\n${commandUsage(command)}`);
      return EXIT_USAGE;
    }
    io.stderr(`error: ${await describeFailure(error)}`);
    return EXIT_FAILED;
  }
}
