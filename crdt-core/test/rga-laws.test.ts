// Rga as a Replicated type: the laws every CRDT here obeys (merge is a join, delivery order does not
// matter once each op can be placed, duplicates change nothing, codecs round-trip), plus what
// `merge` and `clone` promise on their own.
import {
  type ApplyResult,
  DecodeError,
  encodeRgaOps,
  type Replicated,
  Rga,
  type RgaOp,
  replicaId,
} from '@converge/crdt-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crdtLaws } from './support/crdt-laws.ts';

type TextAction =
  | { readonly kind: 'insert'; readonly at: number; readonly text: string }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number };

const textAction: fc.Arbitrary<TextAction> = fc.oneof(
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    text: fc.string({ minLength: 1, maxLength: 3 }),
  }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    length: fc.integer({ min: 1, max: 3 }),
  }),
);

/** Do `action` on `doc`; a delete in an empty text inserts instead, so every step yields an op. */
function perform(doc: Rga, action: TextAction): RgaOp {
  const at = (room: number) => Math.min(room, Math.floor(action.at * (room + 1)));
  if (action.kind === 'delete' && doc.length > 0) {
    const index = at(doc.length - 1);
    return doc.delete(index, Math.min(action.length, doc.length - index)) as RgaOp;
  }
  const text = action.kind === 'insert' ? action.text : 'x';
  return doc.insert(at(doc.length), text) as RgaOp;
}

/**
 * Equal Rga states hold the same ids with the same deletions (the text then follows): the ids are
 * the counters each replica reached, the deletions the tombstones a full delta sends. Its bytes are
 * not canonical (the replica table is in order of first appearance).
 */
function canonical(doc: Rga): unknown {
  const tombstones: string[] = [];
  for (const op of doc.delta()) {
    if (op.kind !== 'tombstone') continue;
    for (let i = 0; i < op.length; i++) tombstones.push(`${op.id.replica}:${op.id.counter + i}`);
  }
  return {
    version: Object.entries(doc.version()).sort(([a], [b]) => (a < b ? -1 : 1)),
    tombstones: tombstones.sort(),
    text: doc.toString(),
  };
}

describe('Rga as a Replicated type', () => {
  crdtLaws({
    create: (replica) => new Rga(replica),
    action: textAction,
    perform: (doc, _replica, action) => perform(doc, action),
    decode: (bytes, like) => Rga.decode(bytes, like.replica),
    encodeOp: Rga.encodeOp,
    decodeOp: Rga.decodeOp,
    duplicate: 'duplicate',
    deliver: (doc, ops) => expect(doc.applyAll(ops)).toEqual([]),
    canonical,
  });

  it('is usable wherever a Replicated type is expected', () => {
    const join = <S extends Replicated<S, Op, View, unknown>, Op, View>(a: S, b: S): View => {
      const joined = a.clone();
      joined.merge(b);
      return joined.value();
    };
    const alice = new Rga(replicaId('alice'));
    const bob = new Rga(replicaId('bob'));
    alice.insert(0, 'hello');
    bob.insert(0, 'world');
    expect(join<Rga, RgaOp, string>(alice, bob)).toBe(join<Rga, RgaOp, string>(bob, alice));
    expect(alice.value()).toBe('hello');
  });

  it('merge reports whether anything changed, deletions included', () => {
    const alice = new Rga(replicaId('alice'));
    alice.insert(0, 'abc');
    const bob = alice.clone();
    expect(bob.merge(alice)).toBe(false);
    alice.delete(1, 1);
    expect(bob.merge(alice)).toBe(true);
    expect(bob.value()).toBe('ac');
    expect(bob.merge(alice)).toBe(false);
  });

  it('a clone is independent of its original and belongs to the same replica', () => {
    const alice = new Rga(replicaId('alice'));
    alice.insert(0, 'abc');
    const copy = alice.clone();
    copy.insert(3, 'd');
    alice.delete(0, 1);
    expect([alice.value(), copy.value(), copy.replica]).toEqual(['bc', 'abcd', 'alice']);
  });

  it('decodeOp takes exactly one operation', () => {
    const alice = new Rga(replicaId('alice'));
    const op = alice.insert(0, 'hi') as RgaOp;
    expect(Rga.decodeOp(Rga.encodeOp(op))).toEqual(op);
    const result: ApplyResult = new Rga(replicaId('bob')).apply(Rga.decodeOp(Rga.encodeOp(op)));
    expect(result).toBe('applied');
    const second = alice.insert(2, '!') as RgaOp;
    expect(() => Rga.decodeOp(encodeRgaOps([op, second]))).toThrow(/expected one text operation, found 2/);
    expect(() => Rga.decodeOp(encodeRgaOps([]))).toThrow(DecodeError);
    expect(() => Rga.decodeOp(Rga.encodeOp(op).subarray(0, 3))).toThrow(DecodeError);
  });
});
