import { describe, expect, it } from 'vitest';
import { causalHistory } from '../../src/explore/causal-history.ts';
import { generateScenario } from '../../src/explore/generate.ts';
import { merged, renamed, shrinkScenario, withoutReplica } from '../../src/explore/shrink.ts';
import { parseScenario, type ScenarioFile } from '../../src/scenario.ts';

/** A stand-in for running: two replicas wrote the note without seeing each other's write. */
const concurrentNotes = async (file: ScenarioFile): Promise<boolean> => {
  const notes = causalHistory(parseScenario(file)).concurrentEditsOf('note');
  return new Set(notes.map((e) => e.step.replica)).size >= 2;
};

describe('shrinking', () => {
  it('shrinks a generated scenario to the two concurrent writes, one character each, replicas a and b', async () => {
    let start: ScenarioFile | undefined;
    for (let run = 0; start === undefined; run++) {
      const file = generateScenario(5, run, { maxReplicas: 5 });
      if (file.replicas.length >= 4 && file.steps.length >= 12 && (await concurrentNotes(file))) start = file;
    }
    const { scenario, tries } = await shrinkScenario(start, { holds: concurrentNotes, field: 'note' });
    expect(scenario.replicas).toEqual(['a', 'b']);
    expect(scenario.steps).toEqual([
      { replica: 'a', op: 'note.set', value: expect.stringMatching(/^.$/) },
      { replica: 'b', op: 'note.set', value: expect.stringMatching(/^.$/) },
    ]);
    expect(tries).toBeGreaterThan(0);
  });

  it('keeps what still holds: the result holds, and a candidate budget is kept', async () => {
    const start = generateScenario(5, 1, { maxReplicas: 3 });
    let calls = 0;
    const { scenario, tries } = await shrinkScenario(start, {
      holds: async (file) => {
        calls++;
        return file.steps.length >= 3;
      },
      maxTries: 5,
    });
    expect(tries).toBe(5);
    expect(calls).toBe(5);
    expect(scenario.steps.length).toBeGreaterThanOrEqual(3);
  });

  it('takes a replica away, merges one into another and renames, keeping the file valid', () => {
    const file: ScenarioFile = {
      name: 's',
      replicas: ['x', 'y', 'z'],
      steps: [
        { partition: [['x'], ['y', 'z']], storage: 'with-z' },
        { replica: 'z', op: 'note.set', value: 'n' },
        { offline: 'y' },
        { skew: { replica: 'z', ms: 1000 } },
        { online: 'y' },
        { heal: true },
      ],
    };
    expect(withoutReplica(file, 'z')).toEqual({
      name: 's',
      replicas: ['x', 'y'],
      steps: [{ partition: [['x'], ['y']] }, { offline: 'y' }, { online: 'y' }, { heal: true }],
    });
    expect(merged(file, 'z', 'x').steps[0]).toEqual({ partition: [['x'], ['y']], storage: 'with-x' });
    expect(renamed(file).steps.slice(0, 2)).toEqual([
      { partition: [['a'], ['b', 'c']], storage: 'with-c' },
      { replica: 'c', op: 'note.set', value: 'n' },
    ]);
    for (const candidate of [withoutReplica(file, 'z'), merged(file, 'z', 'x'), renamed(file)])
      expect(() => parseScenario(candidate)).not.toThrow();
  });
});

describe('generated scenarios', () => {
  it('are the same for the same seed and run, and fit the format with 2..N replicas, ending connected', () => {
    expect(generateScenario(9, 3, { maxReplicas: 4 })).toEqual(generateScenario(9, 3, { maxReplicas: 4 }));
    expect(generateScenario(9, 3, { maxReplicas: 4 })).not.toEqual(
      generateScenario(9, 4, { maxReplicas: 4 }),
    );
    const ops = new Set<string>();
    for (let run = 0; run < 200; run++) {
      const file = generateScenario(11, run, { maxReplicas: 4 });
      const scenario = parseScenario(file);
      expect(scenario.replicas.length).toBeGreaterThanOrEqual(2);
      expect(scenario.replicas.length).toBeLessThanOrEqual(4);
      expect(causalHistory(scenario).finallyConnected).toBe(true);
      for (const step of file.steps) ops.add('op' in step ? step.op : (Object.keys(step)[0] as string));
    }
    // Edits of every kind, and every kind of network step.
    expect([...ops].sort()).toEqual(
      [
        'cart.add',
        'cart.decrement',
        'cart.remove',
        'cart.setQuantity',
        'chaos',
        'counter.increment',
        'heal',
        'note.set',
        'offline',
        'online',
        'partition',
        'restart',
        'skew',
        'sync',
        'text.delete',
        'text.insert',
      ].sort(),
    );
  });
});
