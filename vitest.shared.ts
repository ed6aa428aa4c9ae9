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
