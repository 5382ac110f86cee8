import baseConfig from '@maas/eslint-config/base';
import { defineConfig } from 'eslint/config';

export default defineConfig(
  baseConfig,
  { languageOptions: { parserOptions: { tsconfigRootDir: import.meta.dirname } } },
  {
    // The config module is the one place that reads the environment (issue 12).
    files: ['src/core/config.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // core/ holds interfaces and leaf helpers and imports nothing above it, not even a type
    // (docs/architecture.md): no-cycle ignores type-only edges, so this rule keeps the layer.
    files: ['src/core/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../*', '!../core/*'],
              message: 'core/ imports nothing above it: declare an interface in core and let the domain implement it.',
            },
          ],
        },
      ],
    },
  },
);
