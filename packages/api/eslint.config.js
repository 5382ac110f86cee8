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
);
