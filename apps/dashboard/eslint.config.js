import baseConfig from '@maas/eslint-config/base';
import reactConfig from '@maas/eslint-config/react';
import { defineConfig } from 'eslint/config';

export default defineConfig(
  baseConfig,
  reactConfig,
  { languageOptions: { parserOptions: { tsconfigRootDir: import.meta.dirname } } },
  {
    // The Vite dev server is a developer tool, not the platform: MAAS_API_URL only says where to proxy.
    files: ['vite.config.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
