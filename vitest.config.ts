import { defineConfig } from 'vitest/config';

// One Vitest run covers every workspace; each keeps its tests next to its code.
export default defineConfig({
  test: {
    projects: ['crdt-core', 'src/replica', 'sync-server', 'bench', 'scenarios', 'src/main'],
    // Randomized suites print their seed on failure; the long budget (TEST_BUDGET=long) runs far more cases.
    testTimeout: process.env.TEST_BUDGET === 'long' ? 600_000 : 60_000,
    hookTimeout: 60_000,
  },
});
