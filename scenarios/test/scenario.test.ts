import { describe, expect, it } from 'vitest';
import { parseScenario, parseScenarioText, ScenarioError } from '../src/scenario.ts';

const base = { name: 'Two offline users', replicas: ['a', 'b'] };

describe('parseScenario', () => {
  it('accepts every documented step and derives the room from the name', () => {
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
        { heal: true },
        { offline: 'a' },
        { online: 'a' },
        { skew: { replica: 'a', ms: -5000 } },
        { chaos: { drop: 0.2, duplicate: 0.1, reorder: 0.1, delayMs: 20, seed: 7 } },
        { sync: true },
        { restart: 'a' },
      ],
    });
    expect(scenario.room).toBe('two-offline-users');
    expect(scenario.steps).toHaveLength(15);
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
    expect(() => parseScenario([])).toThrow(ScenarioError);
  });
});
