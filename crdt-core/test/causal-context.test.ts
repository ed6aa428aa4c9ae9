import { CausalContext, type Dot, replicaId } from '@converge/crdt-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fcParams } from './support/budget.ts';

const a = replicaId('a');
const b = replicaId('b');
const dot = fc.record({ replica: fc.constantFrom(a, b), counter: fc.integer({ min: 1, max: 12 }) });

describe('CausalContext', () => {
  it('behaves as a set of dots, whatever the arrival order, and compacts', () => {
    fc.assert(
      fc.property(fc.array(dot, { maxLength: 40 }), fc.array(dot, { maxLength: 40 }), (xs, ys) => {
        const left = new CausalContext();
        const right = new CausalContext();
        for (const d of xs) left.add(d);
        for (const d of ys) right.add(d);
        const union = left.clone();
        union.merge(right);
        const expected = new Set([...xs, ...ys].map((d) => `${d.replica}@${d.counter}`));
        for (const replica of [a, b]) {
          for (let counter = 1; counter <= 13; counter++) {
            expect(union.has({ replica, counter })).toBe(expected.has(`${replica}@${counter}`));
          }
          // The version is the gap-free prefix; next() is above everything seen.
          let prefix = 0;
          while (expected.has(`${replica}@${prefix + 1}`)) prefix++;
          expect(union.version().get(replica)).toBe(prefix);
          const top = Math.max(
            0,
            ...[...xs, ...ys].filter((d) => d.replica === replica).map((d) => d.counter),
          );
          expect(union.next(replica)).toEqual({ replica, counter: top + 1 });
        }
        // Canonical: no cloud dot could extend its prefix.
        for (const d of union.cloudDots())
          expect(d.counter).toBeGreaterThan(union.version().get(d.replica) + 1);
      }),
      fcParams(),
    );
  });

  it('folds the cloud into the prefix when the gap fills', () => {
    const context = new CausalContext();
    const add = (counter: number): boolean => context.add({ replica: a, counter } satisfies Dot);
    expect(add(3)).toBe(true);
    expect(add(2)).toBe(true);
    expect(context.version().get(a)).toBe(0);
    expect(add(1)).toBe(true);
    expect(context.version().get(a)).toBe(3);
    expect([...context.cloudDots()]).toEqual([]);
    expect(add(2)).toBe(false);
  });
});
