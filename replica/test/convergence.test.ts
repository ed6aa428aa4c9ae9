import { budget, testSeed } from '@converge/crdt-core/testing';
import { describe, expect, it } from 'vitest';
import { ENGINES } from '../src/engines/index.ts';
import { runConvergence } from '../testing/convergence-harness.ts';

// Every engine the registry offers takes part; converge joins automatically once it is registered.
const engines = ENGINES;

describe(`convergence under partitions, offline periods, chaos and restarts (${engines.names.join(', ')})`, () => {
  it(
    'every engine converges on every replica and loses no acknowledged edit beyond its documented semantics',
    async () => {
      const base = testSeed();
      const runs = budget(30, 1000);
      let edits = 0;
      for (let run = 0; run < runs; run++) {
        // Each run has its own seed, printed by any failure; TEST_SEED=<it> replays that run first.
        const report = await runConvergence({ seed: (base + run) >>> 0, engines, steps: 60 });
        edits += report.edits;
      }
      expect(edits).toBeGreaterThan(runs * 20);
    },
    budget(120_000, 3_600_000),
  );
});
