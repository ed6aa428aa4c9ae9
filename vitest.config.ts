import { defineConfig } from 'vitest/config';

// One Vitest run covers every workspace; each keeps its tests next to its code.
export default defineConfig({
  test: {
    projects: [
      'crdt-core',
      'protocol',
      'replica',
      'checkout',
      'sync-server',
      'bench',
      'scenarios',
      'examples',
      'src/main',
      'src/renderer',
      'src/renderer/vitest.dom.config.ts',
      'tools/layers',
    ],
  },
});
