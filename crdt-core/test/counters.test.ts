import { GCounter, PNCounter, replicaId } from '@converge/crdt-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crdtLaws } from './support/crdt-laws.ts';

const a = replicaId('a');
const b = replicaId('b');

describe('GCounter', () => {
  crdtLaws({
    create: () => new GCounter(),
    action: fc.integer({ min: 1, max: 5 }),
    perform: (counter, replica, amount) => counter.increment(replica, amount),
    decode: GCounter.decode,
    encodeOp: GCounter.encodeOp,
    decodeOp: GCounter.decodeOp,
    version: (counter) => counter.version(),
    model: (events, visible) => [...visible].reduce((sum, i) => sum + (events[i]?.action ?? 0), 0),
  });

  it('adds increments from every replica', () => {
    const x = new GCounter();
    const y = new GCounter();
    x.increment(a, 2);
    x.increment(a);
    y.increment(b, 5);
    x.merge(y);
    expect(x.value()).toBe(8);
    expect(x.contribution(a)).toBe(3);
    expect(x.version().toString()).toBe('a:2 b:1');
  });

  it('a newer op subsumes older ones that arrive late', () => {
    const source = new GCounter();
    const first = source.increment(a, 2);
    const second = source.increment(a, 3);
    const sink = new GCounter();
    expect(sink.apply(second)).toBe(true);
    expect(sink.apply(first)).toBe(false);
    expect(sink.value()).toBe(5);
  });

  it('rejects amounts that are not positive safe integers, changing nothing', () => {
    const counter = new GCounter();
    counter.increment(a, 1);
    for (const bad of [0, -1, 2 ** 53]) expect(() => counter.increment(a, bad)).toThrow(RangeError);
    for (const bad of [1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => counter.increment(a, bad)).toThrow(TypeError);
    }
    expect(() => counter.increment(a, Number.MAX_SAFE_INTEGER)).toThrow(/safe integer range/);
    expect(counter.value()).toBe(1);
    expect(counter.version().toString()).toBe('a:1');
  });

  it('refuses a merge whose sum would leave the safe range, changing nothing', () => {
    const x = new GCounter();
    const y = new GCounter();
    x.increment(a, Number.MAX_SAFE_INTEGER - 1);
    y.increment(b, 2);
    const before = x.encode();
    expect(() => x.merge(y)).toThrow(RangeError);
    expect(x.encode()).toEqual(before);
  });
});

describe('PNCounter', () => {
  const change = fc.record({ up: fc.boolean(), amount: fc.integer({ min: 1, max: 5 }) });
  crdtLaws({
    create: () => new PNCounter(),
    action: change,
    perform: (counter, replica, { up, amount }) =>
      up ? counter.increment(replica, amount) : counter.decrement(replica, amount),
    decode: PNCounter.decode,
    encodeOp: PNCounter.encodeOp,
    decodeOp: PNCounter.decodeOp,
    version: (counter) => counter.version(),
    // The model: the value is the sum of the signed changes seen.
    model: (events, visible) =>
      [...visible].reduce((sum, i) => {
        const { up, amount } = events[i]?.action ?? { up: true, amount: 0 };
        return sum + (up ? amount : -amount);
      }, 0),
  });

  it('goes both ways and below zero', () => {
    const x = new PNCounter();
    const y = new PNCounter();
    x.increment(a, 3);
    y.decrement(b, 5);
    x.merge(y);
    expect(x.value()).toBe(-2);
    expect(x.contribution(b)).toBe(-5);
  });

  it('keeps each sum within the safe range', () => {
    const counter = new PNCounter();
    counter.increment(a, Number.MAX_SAFE_INTEGER);
    counter.decrement(a, Number.MAX_SAFE_INTEGER);
    expect(counter.value()).toBe(0);
    expect(() => counter.increment(b, 1)).toThrow(RangeError);
    expect(() => counter.decrement(b, -1)).toThrow(RangeError);
    expect(counter.value()).toBe(0);
  });
});
