import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const API = process.env.MAAS_API_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    proxy: {
      '/trpc': { target: API, changeOrigin: true },
      '/api': { target: API, changeOrigin: true },
      '/v1': { target: API, changeOrigin: true },
    },
  },
  build: { outDir: 'dist', emptyOutDir: true, manifest: true, chunkSizeWarningLimit: 500 },
});
