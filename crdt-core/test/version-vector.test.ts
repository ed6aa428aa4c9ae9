import { DecodeError, type ReplicaId, replicaId, VersionVector } from '@converge/crdt-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fcParams } from './support/budget.ts';

const ids = ['a', 'b', 'c', 'dd'].map(replicaId);
const vector = fc
  .array(fc.tuple(fc.constantFrom(...ids), fc.integer({ min: 0, max: 4 })), { maxLength: 4 })
  .map((pairs) => VersionVector.from(new Map(pairs)));

const pointwiseLeq = (x: VersionVector, y: VersionVector): boolean =>
  ids.every((id: ReplicaId) => x.get(id) <= y.get(id));

describe('VersionVector', () => {
  it('compare is antisymmetric and agrees with the pointwise order', () => {
    fc.assert(
      fc.property(vector, vector, (x, y) => {
        const order = x.compare(y);
        const flipped = {
          before: 'after',
          after: 'before',
          equal: 'equal',
          concurrent: 'concurrent',
        } as const;
        expect(y.compare(x)).toBe(flipped[order]);
        const leq = pointwiseLeq(x, y);
        const geq = pointwiseLeq(y, x);
        expect(order).toBe(leq && geq ? 'equal' : leq ? 'before' : geq ? 'after' : 'concurrent');
        expect(x.dominates(y)).toBe(geq);
        expect(x.equals(y)).toBe(leq && geq);
      }),
      fcParams(),
    );
  });

  it('merge is the least upper bound: commutative, associative, idempotent, dominating both', () => {
    fc.assert(
      fc.property(vector, vector, vector, (x, y, z) => {
        const xy = x.merge(y);
        expect(xy.equals(y.merge(x))).toBe(true);
        expect(xy.merge(z).equals(x.merge(y.merge(z)))).toBe(true);
        expect(x.merge(x).equals(x)).toBe(true);
        expect(xy.dominates(x) && xy.dominates(y)).toBe(true);
        expect(['before', 'equal']).toContain(x.compare(xy));
        for (const id of ids) expect(xy.get(id)).toBe(Math.max(x.get(id), y.get(id)));
        // Anything dominating both dominates the merge.
        if (z.dominates(x) && z.dominates(y)) expect(z.dominates(xy)).toBe(true);
      }),
      fcParams(),
    );
  });

  it('increment, includes and the text, JSON and binary forms', () => {
    fc.assert(
      fc.property(vector, fc.constantFrom(...ids), (x, id) => {
        const next = x.increment(id);
        expect(next.get(id)).toBe(x.get(id) + 1);
        expect(next.compare(x)).toBe('after');
        expect(next.includes({ replica: id, counter: x.get(id) + 1 })).toBe(true);
        expect(x.includes({ replica: id, counter: x.get(id) + 1 })).toBe(false);
        expect(VersionVector.decode(x.encode()).equals(x)).toBe(true);
        expect(VersionVector.fromJSON(JSON.parse(JSON.stringify(x))).equals(x)).toBe(true);
        expect(x.entries().map(([r]) => r)).toEqual(
          x
            .entries()
            .map(([r]) => r)
            .sort(),
        );
      }),
      fcParams(),
    );
  });

  it('is immutable and prints sorted by replica id', () => {
    const empty = VersionVector.empty;
    const v = empty.increment(replicaId('b')).increment(replicaId('a')).increment(replicaId('a'));
    expect(empty.size).toBe(0);
    expect(empty.toString()).toBe('');
    expect(v.toString()).toBe('a:2 b:1');
    expect(v.toJSON()).toEqual({ a: 2, b: 1 });
    expect(Object.keys(v.toJSON())).toEqual(['a', 'b']);
  });

  it('rejects malformed input with clear errors', () => {
    expect(() => VersionVector.fromJSON([1])).toThrow(TypeError);
    expect(() => VersionVector.fromJSON({ a: '1' })).toThrow(TypeError);
    expect(() => VersionVector.fromJSON({ a: -1 })).toThrow(RangeError);
    expect(() => VersionVector.fromJSON({ '': 1 })).toThrow(TypeError);
    expect(() => VersionVector.from([['a', 1.5]])).toThrow(TypeError);
    const bytes = VersionVector.from([['a', 1]]).encode();
    expect(() => VersionVector.decode(bytes.subarray(0, bytes.length - 1))).toThrow(DecodeError);
  });
});
