import { CliError, UsageError } from './errors.js';
import type { CliPlatform, Env } from './platform.js';
import type * as Users from './users.js';

// The platform modules are imported when a command runs, not for `--help` or a usage error:
// loading the whole API takes seconds.
const platformModule = () => import('./platform.js');
const findUser: typeof Users.findUser = async (...args) => (await import('./users.js')).findUser(...args);

/** What a command reports: a line for people and an object for `--json`. */
export interface CommandResult {
  text: string;
  json: Record<string, unknown>;
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  required?: boolean;
  description: string;
  placeholder?: string;
}

export interface Command {
  name: string;
  summary: string;
  options: Record<string, OptionSpec>;
  run(values: Record<string, string | undefined>, env: Env): Promise<CommandResult>;
}

const ROLES = ['user', 'developer', 'admin'] as const;
type Role = (typeof ROLES)[number];

function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Opens the platform for one command and always closes it (PGlite holds its directory open). */
async function withPlatform<T>(env: Env, work: (opened: CliPlatform) => Promise<T>): Promise<T> {
  const { openPlatform } = await platformModule();
  const opened = await openPlatform(env);
  try {
    return await work(opened);
  } finally {
    await opened.close();
  }
}

/** A username from an email's local part, as MAAS_ADMIN_EMAIL does. */
function usernameFromEmail(email: string): string {
  const local =
    email
      .split('@')[0]
      ?.replace(/[^A-Za-z0-9_.-]/g, '_')
      .slice(0, 32) ?? '';
  return local.length >= 3 ? local : `${local}___`.slice(0, 3);
}

function required(values: Record<string, string | undefined>, name: string): string {
  const value = values[name];
  // parseArgs has already refused a missing required option; this keeps the type honest.
  if (value === undefined) throw new CliError(`--${name} is required`);
  return value;
}

export const commands: Command[] = [
  {
    name: 'migrate',
    summary: 'Bring the database schema to the latest migration',
    options: {},
    run: (_values, env) =>
      withPlatform(env, async ({ migrated, database }) => ({
        text: migrated.length > 0 ? `applied ${migrated.length} migration(s): ${migrated.join(', ')}` : 'database schema is up to date',
        json: { applied: migrated, engine: database.engine },
      })),
  },
  {
    name: 'seed',
    summary: 'Seed the demo catalogue, tools and posts (idempotent; also applies MAAS_ADMIN_EMAIL)',
    options: {},
    run: (_values, env) =>
      withPlatform(env, async ({ platform }) => {
        const { bootstrapPlatformData } = await import('@maas/api');
        await bootstrapPlatformData({ ...platform, config: { ...platform.config, seedDemoData: true } });
        return { text: 'demo data seeded', json: { seeded: true } };
      }),
  },
  {
    name: 'create-admin',
    summary: 'Create an admin account',
    options: {
      email: { type: 'string', required: true, description: 'email of the new admin', placeholder: 'email' },
      password: { type: 'string', required: true, description: 'password (8 to 128 characters)', placeholder: 'password' },
      username: { type: 'string', description: 'username (default: from the email)', placeholder: 'name' },
    },
    run: (values, env) =>
      withPlatform(env, async ({ platform }) => {
        const { callerFor, OPERATOR } = await platformModule();
        const email = required(values, 'email');
        const username = values.username ?? usernameFromEmail(email);
        // Registration through the router: the API's validation, password hashing and wallet.
        const created = await callerFor(platform, null).auth.register({ username, email, password: required(values, 'password') });
        const admin = await callerFor(platform, OPERATOR).adminUsers.update({ user_id: created.id, role: 'admin' });
        return {
          text: `created admin ${admin.username} <${admin.email}> (${admin.id})`,
          json: { id: admin.id, username: admin.username, email: admin.email, role: admin.role },
        };
      }),
  },
  {
    name: 'create-api-key',
    summary: 'Create an API key acting for a user (the key is printed once)',
    options: {
      user: { type: 'string', required: true, description: 'user id, username or email', placeholder: 'user' },
      name: { type: 'string', required: true, description: 'a name to recognise the key by', placeholder: 'name' },
      'expires-at': { type: 'string', description: 'ISO-8601 expiry with offset, e.g. 2030-01-01T00:00:00Z', placeholder: 'ISO' },
    },
    run: (values, env) =>
      withPlatform(env, async ({ platform }) => {
        const { callerFor } = await platformModule();
        const user = await findUser(platform, required(values, 'user'));
        const caller = callerFor(platform, { userId: user.id, role: user.role, sessionId: null, apiKeyId: null });
        const created = await caller.apiKeys.create({
          name: required(values, 'name'),
          ...(values['expires-at'] !== undefined ? { expires_at: values['expires-at'] } : {}),
        });
        return {
          text: [
            `created API key ${created.id} "${created.name}" for ${user.username} (${user.id})${created.expires_at ? `, expires ${created.expires_at}` : ''}`,
            `key (shown once, store it now): ${created.key}`,
          ].join('\n'),
          json: { ...created, user_id: user.id },
        };
      }),
  },
  {
    name: 'user:set-role',
    summary: "Change a user's role",
    options: {
      user: { type: 'string', required: true, description: 'user id, username or email', placeholder: 'user' },
      role: { type: 'string', required: true, description: 'user | developer | admin', placeholder: 'role' },
    },
    run: (values, env) => {
      const role = required(values, 'role');
      if (!isRole(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}; got "${role}"`);
      return withPlatform(env, async ({ platform }) => {
        const { callerFor, OPERATOR } = await platformModule();
        const user = await findUser(platform, required(values, 'user'));
        const updated = await callerFor(platform, OPERATOR).adminUsers.update({ user_id: user.id, role });
        return {
          // A running server trusts its session cache for up to MAAS_SESSION_CACHE_TTL_MS (30 s).
          text: `${updated.username} (${updated.id}): role ${user.role} -> ${updated.role}`,
          json: { id: updated.id, username: updated.username, previous_role: user.role, role: updated.role },
        };
      });
    },
  },
  {
    name: 'make-tiny-model',
    summary: 'Write a tiny GGUF model (random weights, own vocabulary, ~0.5 MB) to try the local runtime offline',
    options: {
      out: { type: 'string', description: 'where to write it (default: tiny-model.gguf)', placeholder: 'path' },
      seed: { type: 'string', description: 'seed of the random weights (default 15)', placeholder: 'n' },
    },
    run: async (values) => {
      const seed = values.seed === undefined ? undefined : Number(values.seed);
      if (seed !== undefined && !Number.isInteger(seed)) throw new UsageError(`--seed must be an integer; got "${values.seed}"`);
      const { makeTinyModel } = await import('@maas/api');
      const fs = await import('node:fs/promises');
      const nodePath = await import('node:path');
      const path = nodePath.resolve(values.out ?? 'tiny-model.gguf');
      const bytes = makeTinyModel(seed === undefined ? {} : { seed });
      await fs.writeFile(path, bytes);
      return { text: `wrote ${path} (${bytes.length} bytes)`, json: { path, bytes: bytes.length } };
    },
  },
];
