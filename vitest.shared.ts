import { fileURLToPath } from 'node:url';
import { nodeOptionsWithSources } from './vite.shared.ts';

// Options every Vitest project shares (projects do not inherit the root config).
const long = process.env.TEST_BUDGET === 'long';

export const sharedTestOptions = {
  // Randomized suites scale with the budget; the long budget (npm run test:long) may take minutes per file.
  testTimeout: long ? 900_000 : 60_000,
  hookTimeout: 60_000,
  // Child processes that tests start (`node --import tsx cli.ts`) resolve workspace sources too.
  env: { NODE_OPTIONS: nodeOptionsWithSources() },
};

/**
 * For projects whose tests build engines synchronously: a setup file that loads every engine's code first
 * (Yjs's, Automerge's and Loro's load on demand: replica/README.md, "Engines' code on demand").
 */
export const loadEnginesFirst = {
  setupFiles: [fileURLToPath(new URL('./replica/testing/load-engines.ts', import.meta.url))],
};
