import {
  compareHybridTimestamps,
  HybridLogicalClock,
  type HybridTimestamp,
  integerCodec,
  LwwRegister,
  MvRegister,
  replicaId,
  stringCodec,
} from '@converge/crdt-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crdtLaws, type ModelEvent, survivors } from './support/crdt-laws.ts';

const a = replicaId('a');
const b = replicaId('b');

describe('MvRegister', () => {
  crdtLaws({
    create: () => new MvRegister(stringCodec),
    action: fc.constantFrom('red', 'green', 'blue'),
    perform: (register, replica, value) => register.set(replica, value),
    decode: (bytes) => MvRegister.decode(bytes, stringCodec),
    encodeOp: (op) => MvRegister.encodeOp(op, stringCodec),
    decodeOp: (bytes) => MvRegister.decodeOp(bytes, stringCodec),
    version: (register) => register.version(),
    // Reference: the values of the writes no other seen write has in its past, distinct and sorted.
    model: (events: readonly ModelEvent<string>[], visible) =>
      [
        ...new Set(
          survivors(
            events,
            visible,
            () => true,
            () => true,
          ).map((event) => event.action),
        ),
      ].sort(),
  });

  it('keeps concurrent writes as siblings until a write that saw them', () => {
    const x = new MvRegister(stringCodec);
    const y = new MvRegister(stringCodec);
    x.set(a, 'draft');
    y.set(b, 'final');
    x.merge(y);
    expect(x.value()).toEqual(['draft', 'final']);
    expect(x.siblings().map((s) => s.dot)).toEqual([
      { replica: a, counter: 1 },
      { replica: b, counter: 1 },
    ]);
    const resolve = x.set(a, 'merged');
    expect(resolve.observed).toHaveLength(2);
    y.apply(resolve);
    expect(y.value()).toEqual(['merged']);
  });

  it('shows equal concurrent values once', () => {
    const x = new MvRegister(integerCodec);
    const y = new MvRegister(integerCodec);
    x.set(a, 7);
    y.set(b, 7);
    x.merge(y);
    expect(x.value()).toEqual([7]);
    expect(x.siblings()).toHaveLength(2);
  });
});

describe('LwwRegister', () => {
  crdtLaws({
    create: () => new LwwRegister(stringCodec),
    // Few distinct clock readings, so timestamps collide across replicas (the replica id decides)
    // and even within one (a misbehaving writer: the value key decides, and the laws still hold).
    action: fc.record({
      value: fc.constantFrom('x', 'y', 'z'),
      wallMs: fc.integer({ min: 0, max: 2 }),
      logical: fc.integer({ min: 0, max: 1 }),
    }),
    perform: (register, replica, { value, wallMs, logical }) =>
      register.set(value, { wallMs, logical, replica }),
    decode: (bytes) => LwwRegister.decode(bytes, stringCodec),
    encodeOp: (op) => LwwRegister.encodeOp(op, stringCodec),
    decodeOp: (bytes) => LwwRegister.decodeOp(bytes, stringCodec),
    // Reference: the seen write with the greatest (timestamp, value).
    model: (events, visible) => {
      let best: { ts: HybridTimestamp; value: string } | undefined;
      for (const index of visible) {
        const event = events[index] as ModelEvent<{ value: string; wallMs: number; logical: number }>;
        const { value, wallMs, logical } = event.action;
        const ts = { wallMs, logical, replica: event.replica };
        const order = best ? compareHybridTimestamps(ts, best.ts) || (value > best.value ? 1 : -1) : 1;
        if (order > 0) best = { ts, value };
      }
      return best?.value;
    },
  });

  it('the later write wins; equal clock readings fall back to the replica id', () => {
    let now = 1000;
    const clockA = new HybridLogicalClock(a, () => now);
    const clockB = new HybridLogicalClock(b, () => now);
    const x = new LwwRegister(stringCodec);
    const y = new LwwRegister(stringCodec);
    x.set('zzz', clockA.now());
    y.set('aaa', clockB.now()); // same wall time and logical counter: b > a, whatever the values
    x.merge(y);
    expect(x.value()).toBe('aaa');
    now = 1001;
    expect(x.apply(x.set('later', clockA.now()))).toBe(false); // set applied it already
    expect(x.value()).toBe('later');
    expect(y.apply({ timestamp: { wallMs: 5, logical: 0, replica: a }, value: 'stale' })).toBe(false);
  });

  it('rejects malformed timestamps and values', () => {
    const register = new LwwRegister(stringCodec);
    expect(() => register.set('v', { wallMs: -1, logical: 0, replica: a })).toThrow(RangeError);
    expect(() => register.set('v', { wallMs: 1, logical: 0.5, replica: a })).toThrow(TypeError);
    expect(() => register.set(3 as unknown as string, { wallMs: 1, logical: 0, replica: a })).toThrow(
      TypeError,
    );
    expect(register.value()).toBeUndefined();
  });
});
