import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  // Browsers and Node alike: the SDK uses fetch, AbortController and streams only.
  platform: 'neutral',
  target: 'es2022',
  fixedExtension: true,
  tsconfig: 'tsconfig.build.json',
  dts: true,
  sourcemap: false,
  clean: true,
});
