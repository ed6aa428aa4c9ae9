/**
 * The explorer end to end: the kinds a pinned seed finds (and that each shrinks to at most six steps),
 * and a bug planted in a toy engine, reported and shrunk. The default budget explores few runs of the
 * pinned seed; TEST_BUDGET=long explores the 500 runs of the proof.
 */
import { ENGINES, type EngineName } from '@converge/replica';
import { describe, expect, it } from 'vitest';
import { explore, type Finding, findingName } from '../../src/explore/explorer.ts';
import { toyEngines } from '../support/toy-engines.ts';

const long = process.env.TEST_BUDGET === 'long';

/** The four engines of the comparison by name, so an engine added to the registry later does not move the pin. */
const FOUR: EngineName[] = ['converge', 'yjs', 'automerge', 'lww'];

const PINNED_SEED = 3;

/** What seed 3 finds (3 replicas at most): within 4 runs, and within 500 (every kind the explorer knows). */
const PINNED_KINDS = {
  4: [
    'text-order',
    'text-one-write-wins',
    'cart-concurrent-steps',
    'counter-lost-increments',
    'note-siblings',
    'note-winner',
    'lww-clock-skew',
  ],
  500: [
    'text-order',
    'text-edit-after-reorder',
    'text-one-write-wins',
    'cart-concurrent-steps',
    'cart-concurrent-set',
    'cart-removed-while-edited',
    'counter-lost-increments',
    'note-siblings',
    'note-winner',
    'lww-clock-skew',
  ],
} as const;

function summary(findings: readonly Finding[]) {
  return findings.map((f) => ({ name: findingName(f.id), steps: f.minimal.steps.length }));
}

describe('the explorer', () => {
  const runs = long ? 500 : 4;
  it(`seed ${PINNED_SEED}, ${runs} runs: finds the pinned kinds, no bug, each shrunk to at most six steps`, async () => {
    const result = await explore({
      seed: PINNED_SEED,
      runs,
      maxReplicas: 3,
      engines: ENGINES.only(FOUR),
    });
    expect(summary(result.bugs)).toEqual([]);
    expect(result.kinds.map((k) => findingName(k.id))).toEqual(PINNED_KINDS[runs as 4 | 500]);
    expect(result.kinds.length).toBeGreaterThanOrEqual(5);
    for (const kind of result.kinds) {
      expect(kind.minimal.steps.length, findingName(kind.id)).toBeLessThanOrEqual(6);
      expect(kind.minimal.steps.length, findingName(kind.id)).toBeLessThanOrEqual(kind.found.steps.length);
      expect(kind.shows.length, findingName(kind.id)).toBeGreaterThan(0);
      expect(kind.minimal.description).toContain(kind.title);
    }
    expect(result.invalidRuns).toBe(0);
  });

  it('is deterministic: the same seed finds the same kinds and the same minimal scenarios', async () => {
    const engines = ENGINES.only(FOUR);
    const options = { seed: 5, runs: 2, maxReplicas: 2, engines, shrinkTries: 4 };
    const [a, b] = [await explore(options), await explore(options)];
    expect(a.kinds.map((k) => k.minimal)).toEqual(b.kinds.map((k) => k.minimal));
    expect(a.kinds.length).toBeGreaterThan(0);
    expect(a.kinds.some((k) => k.minimal.steps.length < k.found.steps.length)).toBe(true);
  });

  it('reports a bug planted in a toy engine (every third remote update dropped), shrunk to at most six steps', async () => {
    const planted = await explore({ seed: 1, runs: 20, maxReplicas: 3, engines: toyEngines(true) });
    expect(planted.bugs.map((b) => findingName(b.id))).toEqual(['bug-not-converged']);
    const bug = planted.bugs[0] as Finding;
    expect(bug.minimal.steps.length).toBeLessThanOrEqual(6);
    expect(bug.shows.join(' ')).toMatch(/did not sync/);
    // The same exploration over the sound toy finds nothing: the bug is the planted one.
    const sound = await explore({ seed: 1, runs: 20, maxReplicas: 3, engines: toyEngines(false) });
    expect(summary(sound.bugs)).toEqual([]);
    expect(summary(sound.kinds)).toEqual([]);
  });
});
