// Shared helpers for randomized tests in every workspace.
// The quick budget runs by default; `npm run test:long` sets TEST_BUDGET=long.
export const longBudget: boolean = process.env.TEST_BUDGET === 'long';

/** Pick the number of cases for the current budget. */
export function budget(quick: number, long: number): number {
  return longBudget ? long : quick;
}

/**
 * Seed for a randomized test: TEST_SEED replays a failure, otherwise a fresh one.
 * Tests put the seed in every assertion message so a failure says how to replay it.
 */
export function testSeed(): number {
  const fromEnv = process.env.TEST_SEED;
  if (fromEnv !== undefined && fromEnv !== '') return Number(fromEnv) >>> 0;
  return (Math.random() * 2 ** 32) >>> 0;
}

/** fast-check parameters for the current budget; fast-check prints seed and path on failure. */
export function fcParams(quick = 100, long = 2000): { numRuns: number; seed?: number } {
  const seed = process.env.TEST_SEED;
  return seed ? { numRuns: budget(quick, long), seed: Number(seed) } : { numRuns: budget(quick, long) };
}
