import { defineSchema, WORKSPACE } from '@converge/replica';
import { describe, expect, it } from 'vitest';
import { parseScenario, parseScenarioText, ScenarioError, stepSchemaOf } from '../src/scenario.ts';

const base = { name: 'Two offline users', replicas: ['a', 'b'] };

describe('parseScenario', () => {
  it('accepts every documented step; a file without a room leaves it to the runner', () => {
    const scenario = parseScenario({
      ...base,
      steps: [
        { replica: 'a', op: 'text.insert', pos: 0, text: 'Hello' },
        { replica: 'a', op: 'text.delete', pos: 0, len: 2 },
        { replica: 'a', op: 'cart.add', product: 'apple', qty: 2 },
        { replica: 'a', op: 'cart.remove', product: 'apple' },
        { replica: 'a', op: 'cart.setQuantity', product: 'apple', qty: 5 },
        { replica: 'a', op: 'counter.increment', name: 'stock', by: -1 },
        { replica: 'a', op: 'note.set', value: 'ship Monday' },
        { partition: [['a'], ['b']] },
        { partition: [['a'], ['b']], storage: 'with-b' },
        { partition: [['a', 'b']], storage: 'alone' },
        { partition: [['a'], ['b']], storage: 'everywhere' },
        { heal: true },
        { offline: 'a' },
        { online: 'a' },
        { skew: { replica: 'a', ms: -5000 } },
        { chaos: { drop: 0.2, duplicate: 0.1, reorder: 0.1, delayMs: 20, seed: 7 } },
        { sync: true },
        { restart: 'a' },
      ],
    });
    expect(scenario.room).toBeUndefined();
    expect(parseScenario({ ...base, room: 'lab-1', steps: [] }).room).toBe('lab-1');
    expect(scenario.steps).toHaveLength(18);
  });

  it('reads the start state a file carries: engine snapshots in base64', () => {
    const scenario = parseScenario({ ...base, start: { engines: { converge: 'AAEC', lww: '' } }, steps: [] });
    expect(scenario.start?.engines.converge).toEqual(new Uint8Array([0, 1, 2]));
    expect(scenario.start?.engines.lww).toEqual(new Uint8Array([]));
    expect(() =>
      parseScenario({ ...base, start: { engines: { converge: 'not base64!' } }, steps: [] }),
    ).toThrow(/base64/);
    expect(() => parseScenario({ ...base, start: { engines: { loro2: 'AAEC' } }, steps: [] })).toThrow(
      ScenarioError,
    );
  });

  it.each([
    [{ replica: 'a', op: 'cart.add', product: 'apple', qty: 0 }, /step 1 .*qty/s],
    [{ replica: 'z', op: 'note.set', value: 'x' }, /step 1 .*unknown replica "z"/],
    [{ replica: 'a', op: 'text.insert', pos: -1, text: 'x' }, /step 1 .*pos/s],
    [{ replica: 'a', op: 'counter.increment', name: 'visits', by: 1 }, /step 1 .*name/s],
    [{ partition: [['a'], ['q']] }, /step 1 .*unknown replica "q"/],
    [{ chaos: { drop: 2 } }, /step 1 .*drop/s],
    [{ teleport: 'a' }, /step 1 .*teleport/s],
    [{ heal: true, extra: 1 }, /step 1/],
    [
      { partition: [['a'], ['b']], storage: 'nowhere' },
      /step 1 .*storage must be "alone", "everywhere" or "with-<node id>"/s,
    ],
    [{ partition: [['a'], ['b']], storage: 'with-q' }, /step 1 .*unknown replica "q"/],
    [{ partition: [['a'], ['a', 'b']] }, /step 1 .*replica "a" is in two groups/],
    [{ partition: [['a'], ['storage']] }, /step 1 .*storage peer's id/s],
  ])('names the bad step for %j', (step, message) => {
    expect(() => parseScenario({ ...base, steps: [step] })).toThrow(message);
  });

  it('names the position of the bad step among good ones', () => {
    const steps = [{ sync: true }, { heal: true }, { replica: 'b', op: 'text.delete', pos: 0, len: 0 }];
    expect(() => parseScenario({ ...base, steps })).toThrow(/invalid step 3 /);
  });

  it('rejects a file that is not a scenario', () => {
    expect(() => parseScenarioText('{not json')).toThrow(ScenarioError);
    expect(() => parseScenario({ name: 'x', replicas: [], steps: [] })).toThrow(/replicas/);
    expect(() => parseScenario({ name: 'x', replicas: ['a', 'a'], steps: [] })).toThrow(/repeat/);
    expect(() => parseScenario({ name: 'x', replicas: ['storage'], steps: [] })).toThrow(/storage peer's id/);
    expect(() => parseScenario({ name: 'x', replicas: ['-a'], steps: [] })).toThrow(/starting with a letter/);
    expect(() => parseScenario([])).toThrow(ScenarioError);
  });
});

describe('the edit steps', () => {
  it("are the workspace schema's intents with a replica: a field declared there is a step at once", () => {
    const grown = defineSchema({
      ...WORKSPACE.declarations,
      title: { kind: 'register', tag: 7, label: 'Title', maxLength: 5 },
    });
    const step = { replica: 'a', op: 'title.set', value: 'short' };
    expect(stepSchemaOf(grown).safeParse(step).success).toBe(true);
    expect(stepSchemaOf(grown).safeParse({ ...step, value: 'too long' }).success).toBe(false);
    expect(stepSchemaOf(WORKSPACE).safeParse(step).success).toBe(false);
    expect(() => parseScenario({ ...base, steps: [step] })).toThrow(ScenarioError);
  });
});
