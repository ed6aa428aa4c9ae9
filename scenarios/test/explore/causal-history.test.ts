import { describe, expect, it } from 'vitest';
import { causalHistory } from '../../src/explore/causal-history.ts';
import { parseScenario, type Step } from '../../src/scenario.ts';

const history = (replicas: string[], steps: Step[]) =>
  causalHistory(parseScenario({ name: 't', replicas, steps }));
const note = (replica: string, value: string): Step => ({ replica, op: 'note.set', value });

describe('the causal history of a simulated run', () => {
  it('edits with no sync between them are concurrent; a sync makes the next ones see them', () => {
    const h = history(['a', 'b'], [note('a', '1'), note('b', '2'), { sync: true }, note('a', '3')]);
    expect(h.concurrentEditsOf('note').map((e) => e.step)).toEqual([note('a', '1'), note('b', '2')]);
    expect([...(h.edits[2]?.seen ?? [])].sort()).toEqual([0, 1]);
    expect(h.finallyConnected).toBe(true);
  });

  it('a partition keeps the groups apart across syncs, and each field is judged on its own', () => {
    const h = history(
      ['a', 'b'],
      [
        { partition: [['a'], ['b']] },
        note('a', '1'),
        { sync: true },
        note('b', '2'),
        { replica: 'a', op: 'counter.increment', name: 'likes', by: 1 },
        { sync: true },
        { replica: 'a', op: 'counter.increment', name: 'likes', by: 1 },
        { heal: true },
      ],
    );
    expect(h.concurrentEditsOf('note')).toHaveLength(2);
    expect(h.concurrentEditsOf('counters/likes')).toHaveLength(0);
    expect(h.editsOf('counters/likes')).toHaveLength(2);
  });

  it('the storage peer carries edits across time: placed with a, then with b', () => {
    const h = history(
      ['a', 'b'],
      [
        { partition: [['a'], ['b']], storage: 'with-a' },
        note('a', '1'),
        { sync: true },
        { partition: [['a'], ['b']], storage: 'with-b' },
        { sync: true },
        note('b', '2'),
        { heal: true },
      ],
    );
    expect(h.concurrentEditsOf('note')).toHaveLength(0);
  });

  it('a storage peer everywhere bridges the groups; one alone carries nothing', () => {
    const steps = (storage: 'everywhere' | 'alone'): Step[] => [
      { partition: [['a'], ['b']], storage },
      note('a', '1'),
      { sync: true },
      note('b', '2'),
      { heal: true },
    ];
    expect(history(['a', 'b'], steps('everywhere')).concurrentEditsOf('note')).toHaveLength(0);
    expect(history(['a', 'b'], steps('alone')).concurrentEditsOf('note')).toHaveLength(2);
  });

  it('an offline replica misses the sync; one left offline or partitioned at the end is not connected', () => {
    const h = history(
      ['a', 'b'],
      [{ offline: 'b' }, note('a', '1'), { sync: true }, note('b', '2'), { online: 'b' }],
    );
    expect(h.concurrentEditsOf('note')).toHaveLength(2);
    expect(history(['a', 'b'], [{ offline: 'b' }]).finallyConnected).toBe(false);
    expect(history(['a', 'b'], [{ partition: [['a'], ['b']] }]).finallyConnected).toBe(false);
  });

  it('a removal or "one less" of a line the replica cannot show changes nothing and races with nothing', () => {
    const h = history(
      ['a', 'b'],
      [
        { replica: 'a', op: 'cart.add', product: 'pen', qty: 1 },
        { replica: 'b', op: 'cart.remove', product: 'pen' },
        { replica: 'b', op: 'cart.decrement', product: 'pen', qty: 1 },
        { sync: true },
        { replica: 'a', op: 'cart.remove', product: 'pen' },
        { replica: 'a', op: 'cart.decrement', product: 'pen', qty: 1 },
      ],
    );
    expect(h.edits.map((e) => e.noop)).toEqual([false, true, true, false, true]);
    expect(h.concurrentEditsOf('cart/pen')).toHaveLength(0);
    expect(h.editsOf('cart/pen')).toHaveLength(2);
  });
});
