/**
 * Web-mode build of the renderer: `npm run build:web` → out/web, served by src/main/web-mode.ts.
 * Same renderer as the Electron build (rendererConfig); in a browser `window.converge` is absent,
 * so the renderer reads /config.json and stores its replica in IndexedDB.
 */
import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { rendererConfig } from './electron.vite.config.ts';

const shared = rendererConfig();

export default defineConfig({
  ...shared,
  base: '/',
  build: {
    ...shared.build,
    outDir: resolve(import.meta.dirname, 'out/web'),
    emptyOutDir: true,
    target: 'es2023',
  },
});
