// The lint rules every package shares (create-t3-turbo's tooling/eslint). Type-aware: each package's
// own tsconfig.json is found through the TypeScript project service, so a package lints only what it
// also typechecks. Formatting is prettier's job (`pnpm format`), so no stylistic rule lives here.
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { defineConfig } from 'eslint/config';

/** Files no package lints: build output, generated code, data. */
export const ignores = {
  ignores: [
    '**/node_modules/**',
    '**/dist/**',
    '**/.data/**',
    '**/.turbo/**',
    '**/.generated/**',
    '**/src/generated/**',
    '**/test/http/generated/**',
    '**/coverage/**',
  ],
};

export default defineConfig(
  ignores,
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
      parserOptions: { projectService: true },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { 'import-x': importX },
    settings: {
      // import-x reads only the files it can parse: without these, every .ts module looks empty to
      // it and no cycle is ever found.
      'import-x/extensions': ['.ts', '.tsx', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ alwaysTryTypes: true })],
    },
    rules: {
      // Arrows point one way (docs/architecture.md, issue 12). Type-only imports are erased, so
      // they cannot form a runtime cycle and are not counted.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-duplicates': ['error', { 'prefer-inline': false }],

      // Process state is read in one place: packages/api/src/core/config.ts parses the
      // environment once, with a schema, and everything else receives a PlatformConfig.
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read configuration through loadConfig() (packages/api/src/core/config.ts) and pass it down.',
        },
      ],

      // The rules that catch real bugs: a promise nobody awaits, a promise where a boolean or a
      // void callback is expected, and imports that survive only for their types.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // A node-style callback's error is passed on as it came.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],

      // Off on purpose. An async function without await still turns a throw into a rejection,
      // which is what the callers of our Promise-returning interfaces (payment providers,
      // upstream adapters, kysely's migration provider) rely on.
      '@typescript-eslint/require-await': 'off',
      // Names, file names and ids are refused when they contain control characters: the regexes
      // that say so match them on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    // Config files in plain JavaScript are outside every tsconfig: lint them without types.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Tests and benchmarks read knobs of their own (a fuzz seed, the path of a chromium or postgres
    // binary, the URL of a server they did not start) that are no part of the server's configuration.
    // They also read HTTP bodies as JSON (`any`) and assert on their fields; typing each of those
    // reads would add nothing the assertions do not already check.
    files: ['**/test/**', '**/bench/**', '**/*.test.ts', '**/*.test.tsx'],
    rules: {
      'no-restricted-properties': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
);
