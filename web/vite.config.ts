// The dashboard build: web/ → web/dist, served by the collector at `/` (src/http/dashboard.ts).
// Relative asset URLs (base './') so the same build also works behind a path prefix.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  plugins: [react()],
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
    chunkSizeWarningLimit: 800,
  },
  server: {
    // `npm run dev` serves the API on 8080; the dev server proxies it so the default
    // "same origin" server setting works there too.
    proxy: Object.fromEntries(
      ['/spans', '/traces', '/services', '/stats', '/dependencies', '/health', '/metrics', '/logs', '/v1'].map((p) => [
        p,
        'http://localhost:8080',
      ]),
    ),
  },
});
