import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, signUp, startTestServer, type TestServer } from '../../../apps/api/test/kit/index.js';

// The package as a user gets it: built, packed, installed with npm into a project outside the
// workspace, typechecked strictly, then run against a live server, as ESM and as CJS.
// Self-contained types: the shipped .d.ts may import @trpc/client and @trpc/server only (checked
// below), and the consumer's @ts-expect-error lines fail to compile if the router type were lost
// to \`any\`. (skipLibCheck stays on as in most projects: @trpc/server's own d.ts needs the optional
// `ws` types otherwise.)

const sdkDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TIMEOUT = 300_000;

let server: TestServer;
let workDir: string;

// Asynchronous on purpose: the live server runs in this process and must keep answering.
async function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(command, args, {
      cwd,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}\n${stdout ?? ''}\n${stderr ?? ''}`, { cause: error });
  }
}

const CONSUMER_ESM = `import { createMaasClient, isMaasError, MaasError, paginate, readSse, type RouterOutputs, type UserProfile } from '@maas/sdk';

const baseUrl = process.env.MAAS_URL ?? 'http://127.0.0.1:1';
const client = createMaasClient({ baseUrl, token: process.env.MAAS_TOKEN, maxRetries: 1 });

const profile: UserProfile = await client.users.profile.query();
const username: string = profile.username;
const role: RouterOutputs['users']['profile']['role'] = profile.role;

// The router type is real, not \`any\`: unknown procedures and wrong inputs do not compile.
// @ts-expect-error no such procedure
void client.users.noSuchProcedure;
// @ts-expect-error username must be a string
void (() => client.auth.register.mutate({ username: 1, email: 'a@b.c', password: 'x' }));
void paginate;
void readSse;

let errorCode = '';
try {
  await createMaasClient({ baseUrl }).users.profile.query();
} catch (error) {
  if (error instanceof MaasError && isMaasError(error)) errorCode = \`\${error.code} \${error.status}\`;
}
console.log(JSON.stringify({ id: profile.id, username, role, errorCode }));
`;

const CONSUMER_CJS = `import sdk = require('@maas/sdk');

async function main(): Promise<void> {
  const client = sdk.createMaasClient({ baseUrl: process.env.MAAS_URL ?? 'http://127.0.0.1:1', token: process.env.MAAS_TOKEN });
  const profile: sdk.UserProfile = await client.users.profile.query();
  console.log(JSON.stringify({ id: profile.id }));
}
void main();
`;

const repoRoot = path.resolve(sdkDir, '..', '..');

/** The ```ts blocks of a markdown file of the repository. */
function typescriptBlocks(file: string): string[] {
  const markdown = readFileSync(path.join(repoRoot, file), 'utf8');
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? '');
}

describe('the published package', () => {
  beforeAll(async () => {
    server = await startTestServer();
    workDir = mkdtempSync(path.join(tmpdir(), 'maas-sdk-pack-'));
  }, TIMEOUT);
  afterAll(async () => {
    await server?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it(
    'builds, packs, installs outside the workspace, typechecks strictly and calls a live server',
    async () => {
      // `pnpm pack` builds the package first (prepack): a fresh clone has no dist to fall back on.
      const packDir = path.join(workDir, 'pack');
      mkdirSync(packDir);
      await run('pnpm', ['pack', '--pack-destination', packDir], sdkDir);
      const tarball = readdirSync(packDir).find((name) => name.endsWith('.tgz'));
      expect(tarball).toBeDefined();

      const project = path.join(workDir, 'consumer');
      mkdirSync(path.join(project, 'src'), { recursive: true });
      writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2));
      writeFileSync(
        path.join(project, 'tsconfig.json'),
        JSON.stringify(
          {
            compilerOptions: {
              target: 'ES2022',
              module: 'NodeNext',
              moduleResolution: 'NodeNext',
              strict: true,
              skipLibCheck: true,
              types: ['node'],
              outDir: 'dist',
            },
            include: ['src'],
          },
          null,
          2,
        ),
      );
      writeFileSync(path.join(project, 'src', 'consumer.ts'), CONSUMER_ESM);
      writeFileSync(path.join(project, 'src', 'consumer-cjs.cts'), CONSUMER_CJS);
      // The READMEs' TypeScript, as written, compiles against the packed SDK too (issue 19 part 3).
      const readmeBlocks = [...typescriptBlocks('README.md'), ...typescriptBlocks('packages/sdk/README.md')];
      expect(readmeBlocks.length).toBeGreaterThanOrEqual(2);
      readmeBlocks.forEach((block, i) => writeFileSync(path.join(project, 'src', `readme-${i}.ts`), `${block}\nexport {};\n`));

      await run(
        'npm',
        [
          'install',
          path.join(packDir, tarball ?? ''),
          'typescript@5.9.3',
          '@types/node@20',
          // The README shows the `openai` client for the /v1 operations; its block compiles too.
          'openai@6.30.1',
          // ... and the MCP SDK for the marketplace tools over /mcp.
          '@modelcontextprotocol/sdk@1.32.2',
          '--prefer-offline',
          '--no-audit',
          '--no-fund',
          '--loglevel=error',
        ],
        project,
      );
      for (const file of ['index.d.mts', 'index.d.cts']) {
        const declarations = readFileSync(path.join(project, 'node_modules', '@maas', 'sdk', 'dist', file), 'utf8');
        const imported = [...declarations.matchAll(/\bfrom\s+["']([^"']+)["']|import\(["']([^"']+)["']\)/g)].map((m) => m[1] ?? m[2]);
        expect(new Set(imported), file).toEqual(new Set(['@trpc/client', '@trpc/server']));
      }
      await run('npx', ['--no-install', 'tsc', '-p', 'tsconfig.json'], project);

      const api = apiClient(server.url);
      const user = await signUp(api, 'packed');
      const env = { MAAS_URL: server.url, MAAS_TOKEN: user.token };
      const esm = JSON.parse((await run('node', ['dist/consumer.js'], project, env)).trim());
      expect(esm).toEqual({ id: user.id, username: user.username, role: 'user', errorCode: 'UNAUTHORIZED 401' });
      const cjs = JSON.parse((await run('node', ['dist/consumer-cjs.cjs'], project, env)).trim());
      expect(cjs).toEqual({ id: user.id });
    },
    TIMEOUT,
  );
});
