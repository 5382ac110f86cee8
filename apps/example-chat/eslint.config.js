import baseConfig from '@maas/eslint-config/base';
import { defineConfig } from 'eslint/config';

export default defineConfig(
  baseConfig,
  { languageOptions: { parserOptions: { tsconfigRootDir: import.meta.dirname } } },
  {
    // The example is a user's program, not the platform: it reads where the server is and whom to
    // sign in as, as any SDK user would.
    files: ['src/main.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
