import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The web app is served by the bdcert server itself (src/http/web.ts) from web/dist; `/api` is proxied in dev.
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 4000 },
  server: { proxy: { '/api': process.env.BDCERT_API ?? 'http://127.0.0.1:8080' } },
});
