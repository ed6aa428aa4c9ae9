// What undo needs from the text: where an insert's characters are now (`placesOf`), and typing text back
// right where deleted characters sit (`insertBefore`), as an operation every replica places alike.
import { Rga, replicaId, SeededRandom } from '@converge/crdt-core';
import { describe, expect, it } from 'vitest';

const A = replicaId('alice');
const B = replicaId('bob');

describe('Rga placesOf and insertBefore', () => {
  it('finds an insert’s characters around another replica’s insert inside them, and its tombstones', () => {
    const a = new Rga(A);
    const b = new Rga(B);
    const typed = a.insert(0, 'hello');
    b.apply(typed as NonNullable<typeof typed>);
    const inside = b.insert(2, 'XY');
    a.apply(inside as NonNullable<typeof inside>);
    expect(a.toString()).toBe('heXYllo');
    const ids = { replica: A, counter: 1, length: 5 };
    expect(a.placesOf([ids])).toEqual([
      { replica: A, counter: 1, length: 2, index: 0, deleted: false },
      { replica: A, counter: 3, length: 3, index: 4, deleted: false },
    ]);
    a.delete(4, 2); // "ll"
    expect(a.placesOf([ids])).toEqual([
      { replica: A, counter: 1, length: 2, index: 0, deleted: false },
      { replica: A, counter: 3, length: 2, index: 4, deleted: true },
      { replica: A, counter: 5, length: 1, index: 4, deleted: false },
    ]);
    expect(() => a.placesOf([{ replica: A, counter: 5, length: 2 }])).toThrow(RangeError);
    expect(() => a.placesOf([{ replica: replicaId('carol'), counter: 1, length: 1 }])).toThrow(RangeError);
  });

  it('types text back before its tombstone, and every replica places it there', () => {
    const a = new Rga(A);
    const b = new Rga(B);
    for (const op of [a.insert(0, 'abcdef'), a.delete(1, 2), a.delete(2, 2)]) b.apply(op as never);
    expect(a.toString()).toBe('ad');
    // "ef" back first, then "bc": each right before its own tombstones, so the order is the original one.
    const ef = a.insertBefore({ replica: A, counter: 5 }, 'ef');
    const bc = a.insertBefore({ replica: A, counter: 2 }, 'bc');
    expect(ef?.index).toBe(2);
    expect(bc?.index).toBe(1);
    expect(a.toString()).toBe('abcdef');
    b.apply(ef?.op as never);
    b.apply(bc?.op as never);
    expect(b.toString()).toBe('abcdef');
    // Typing on after it extends the same run, and the replicas still agree.
    const on = a.insert(3, '!');
    b.apply(on as never);
    expect(b.toString()).toBe(a.toString());
    expect(a.insertBefore({ replica: A, counter: 1 }, '')).toBeNull();
    expect(() => a.insertBefore({ replica: B, counter: 1 }, 'x')).toThrow(RangeError);
    a.assertInvariants();
    b.assertInvariants();
  });

  it('random deletes typed back by insertBefore restore the text, in any order, on every replica', () => {
    const random = new SeededRandom(21);
    for (let round = 0; round < 30; round++) {
      const a = new Rga(A);
      const b = new Rga(B);
      const text = 'the quick brown fox jumps over';
      b.apply(a.insert(0, text) as never);
      // One insert made every character: character `counter` is text[counter - 1].
      const deletes: { counter: number; text: string }[] = [];
      for (let i = 0; i < 4 && a.length > 0; i++) {
        const pos = random.int(0, a.length - 1);
        const len = random.int(1, Math.min(3, a.length - pos));
        const op = a.delete(pos, len);
        b.apply(op as never);
        for (const r of op?.ranges ?? [])
          deletes.push({ counter: r.counter, text: text.slice(r.counter - 1, r.counter - 1 + r.length) });
      }
      for (const { counter, text: back } of random.shuffle(deletes)) {
        const done = a.insertBefore({ replica: A, counter }, back);
        b.apply(done?.op as never);
      }
      expect(a.toString()).toBe(text);
      expect(b.toString()).toBe(text);
      a.assertInvariants();
    }
  });
});
