/**
 * electron-vite build of the desktop app: main (ESM, Node), preload (one CommonJS file, as a
 * sandboxed preload must be) and the React renderer (src/renderer/index.html). `rendererConfig` is
 * shared with the web-mode build (vite.web.config.ts) so both ship the same renderer.
 */
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, type RendererViteConfig } from 'electron-vite';
import { workspaceSources } from './vite.shared.ts';

const root = import.meta.dirname;
export const rendererRoot = resolve(root, 'src/renderer');

/** The renderer build, common to the Electron window and the browser (web mode). */
export function rendererConfig(): RendererViteConfig {
  return {
    ...workspaceSources,
    root: rendererRoot,
    plugins: [react()],
    // The window's replica runs in a module worker (src/renderer/worker/replica-worker.ts): ES format,
    // because the engines' modules (Automerge's WASM) use top-level await.
    worker: { format: 'es' },
    build: {
      rolldownOptions: { input: resolve(rendererRoot, 'index.html') },
      // Yjs's, Automerge's and Loro's code are chunks of their own, imported by the worker when it builds
      // each engine (replica/README.md, "Engines' code on demand"); the page's bundle stays above the
      // default size warning, loaded once from disk or localhost.
      chunkSizeWarningLimit: 2500,
    },
  };
}

export default defineConfig({
  main: {
    ...workspaceSources,
    build: {
      // Workspace packages (@converge/*) are bundled from their TypeScript sources; the
      // third-party packages they use load from node_modules at run time (Automerge's WASM included).
      externalizeDeps: {
        include: ['ws', 'yjs', 'lib0', 'y-protocols', '@automerge/automerge', 'loro-crdt', 'fast-diff'],
      },
      rolldownOptions: {
        input: {
          index: resolve(root, 'src/main/index.ts'),
          // The relay's storage peers run in a worker thread (sync-server/src/storage/peer-thread.ts).
          'storage-peer-worker': resolve(root, 'sync-server/src/storage/peer-worker.ts'),
        },
      },
    },
  },
  preload: {
    ...workspaceSources,
    build: {
      // A sandboxed preload can only require('electron'): everything else must be inside this one file.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve(root, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: rendererConfig(),
});
