// Rga.save: a snapshot reused as it was and the operations since. Whatever the session, decoding a
// save gives the very document a full encode describes (same text, version and snapshot bytes).
import { decodeRgaOps, encodeRgaOps, Rga, type RgaOp, replicaId, SeededRandom } from '@converge/crdt-core';
import { budget, fcParams, fuzzDecoder, testSeed } from '@converge/crdt-core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SAVED_TAIL_FLOOR } from '../src/rga/rga.ts';

const SNAPSHOT = 0x8e;
const SAVED = 0x93;

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** `saved` decodes to the document `doc` is: text, version, and the bytes of a full encode. */
function expectSameDocument(saved: Uint8Array, doc: Rga): Rga {
  const reopened = Rga.decode(saved, doc.replica);
  expect(reopened.toString()).toBe(doc.toString());
  expect(reopened.version()).toEqual(doc.version());
  expect(hex(reopened.encode())).toBe(hex(doc.encode()));
  reopened.assertInvariants();
  return reopened;
}

/** One random edit of `doc` (insert, delete, or undo's insert before a character). */
function edit(rng: SeededRandom, doc: Rga): RgaOp | null {
  const roll = rng.next();
  if (roll < 0.55 || doc.length < 2) {
    const at = rng.chance(0.6) ? doc.length : rng.int(0, doc.length);
    return doc.insert(at, rng.pick(['a', 'b', 'cd', 'é', '😀', 'xyz ']));
  }
  if (roll < 0.9) {
    const at = rng.int(0, doc.length - 1);
    return doc.delete(at, Math.min(doc.length - at, rng.int(1, 3)));
  }
  const version = doc.version();
  const replicas = Object.keys(version);
  const replica = replicaId(rng.pick(replicas));
  return doc.insertBefore({ replica, counter: rng.int(1, version[replica] as number) }, 'u')?.op ?? null;
}

describe('Rga.save', () => {
  it('decodes to the document a full encode describes, over random concurrent sessions', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 2, max: 3 }), (seed, count) => {
        const rng = new SeededRandom(seed);
        const peers = Array.from({ length: count }, (_, i) => new Rga(replicaId(`peer${i}`)));
        let saver = peers[0] as Rga;
        for (let step = 0; step < 120; step++) {
          const i = rng.int(0, count - 1);
          const doc = i === 0 ? saver : (peers[i] as Rga);
          const roll = rng.next();
          if (roll < 0.6) {
            edit(rng, doc);
          } else if (roll < 0.75) {
            // Another peer's ops as bytes, or its whole state merged.
            const from = rng.int(0, count - 1);
            if (from === i) continue;
            const source = from === 0 ? saver : (peers[from] as Rga);
            if (rng.chance(0.5)) doc.merge(Rga.decode(source.encode(), doc.replica));
            else doc.applyAll(decodeRgaOps(encodeRgaOps(source.delta(doc.version()))));
          } else if (roll < 0.95) {
            const saved = saver.save();
            const reopened = expectSameDocument(saved, saver);
            // Sometimes go on from the reopened document (a restart), which saves on from those bytes.
            if (rng.chance(0.3)) {
              saver = reopened;
              peers[0] = reopened;
            }
          } else {
            const from = rng.int(1, count - 1);
            saver.applyAll((peers[from] as Rga).delta(saver.version()));
          }
        }
        expectSameDocument(saver.save(), saver);
      }),
      fcParams(25, 2000),
    );
  });

  it('reuses the snapshot as it was and encodes only the operations since the last save', () => {
    const doc = new Rga(replicaId('writer'));
    doc.insert(0, 'hello world');
    const first = doc.save();
    expect(first[0]).toBe(SNAPSHOT);
    expect(hex(first)).toBe(hex(doc.encode()));
    expect(hex(doc.save())).toBe(hex(first)); // nothing since
    doc.insert(5, ',');
    doc.delete(0, 1);
    const second = doc.save();
    expect(second[0]).toBe(SAVED);
    // Header, the snapshot's length (one byte here), the snapshot itself unchanged, then the operations.
    expect(hex(second.subarray(2, 2 + first.length))).toBe(hex(first));
    doc.insert(doc.length, '!');
    const third = doc.save();
    // Saving on appends a chunk: what the last save wrote is kept byte for byte.
    expect(hex(third.subarray(0, second.length))).toBe(hex(second));
    expect(third.length).toBeGreaterThan(second.length);
    expectSameDocument(third, doc);
    expect(doc.toString()).toBe('ello, world!');
  });

  it('writes a whole snapshot again once the operations since it would be many to replay', () => {
    const doc = new Rga(replicaId('typist'));
    doc.insert(0, 'x');
    doc.save();
    // Each at the start: operations that do not coalesce.
    for (let i = 0; i < SAVED_TAIL_FLOOR; i++) doc.insert(0, 'y');
    expect(doc.save()[0]).toBe(SAVED);
    doc.insert(0, 'z');
    const rebased = doc.save();
    expect(rebased[0]).toBe(SNAPSHOT);
    expect(hex(rebased)).toBe(hex(doc.encode()));
    doc.insert(0, 'w');
    expect(doc.save()[0]).toBe(SAVED);
  });

  it('saves keystrokes typed on as one insert, and a backspaced word as one range', () => {
    const doc = new Rga(replicaId('typist'));
    doc.insert(0, '.');
    const base = doc.save();
    for (const ch of 'hello') doc.insert(doc.length, ch);
    for (let i = 0; i < 3; i++) doc.delete(doc.length - 1, 1);
    const saved = doc.save();
    const chunk = saved.subarray(2 + base.length + 1);
    expect(chunk.length).toBe(saved[2 + base.length]);
    expect(decodeRgaOps(chunk)).toEqual([
      {
        kind: 'insert',
        id: { replica: 'typist', counter: 2 },
        left: { replica: 'typist', counter: 1 },
        right: 'inherit',
        text: 'hello',
      },
      { kind: 'delete', ranges: [{ replica: 'typist', counter: 4, length: 3 }] },
    ]);
    expectSameDocument(saved, doc);
  });

  it('keeps saving incrementally after decoding a save, and the next replica ids follow on', () => {
    const doc = new Rga(replicaId('writer'));
    doc.insert(0, 'abc');
    doc.save();
    doc.insert(3, 'def');
    const reopened = Rga.decode(doc.save(), replicaId('writer'));
    const op = reopened.insert(6, 'g') as Extract<RgaOp, { kind: 'insert' }>;
    expect(op.id.counter).toBe(7);
    const again = reopened.save();
    expect(again[0]).toBe(SAVED);
    const doc2 = expectSameDocument(again, reopened);
    expect(doc2.toString()).toBe('abcdefg');
  });

  it('rejects saved bytes whose operations cannot be placed, and malformed ones, with a DecodeError', () => {
    const doc = new Rga(replicaId('writer'));
    doc.insert(0, 'abc');
    const base = doc.save();
    doc.insert(3, 'd');
    const saved = doc.save();
    // Drop the snapshot's text: the operation after it refers to a character the snapshot lacks.
    const empty = new Rga(replicaId('writer')).encode();
    const orphan = Uint8Array.from([SAVED, empty.length, ...empty, ...saved.subarray(2 + base.length)]);
    expect(() => Rga.decode(orphan, replicaId('reader'))).toThrow(/lacks/);
    expect(() => Rga.decode(Uint8Array.from([SAVED, 1, 0x8f]), replicaId('r'))).toThrow(/format 2 snapshot/);
    expect(() => Rga.decode(Uint8Array.from([...base.subarray(0, 0), SAVED]), replicaId('r'))).toThrow(
      /end of input/,
    );
  });

  it('Rga.decode of saved bytes accepts or rejects cleanly under fuzzing, and accepted documents work', () => {
    const rng = new SeededRandom(11);
    const a = new Rga(replicaId('alice'));
    const b = new Rga(replicaId('bob'));
    a.insert(0, 'héllo wörld 😀');
    a.save();
    b.applyAll(a.delta());
    b.insert(3, 'XYZ');
    for (let i = 0; i < 30; i++) edit(rng, rng.chance(0.5) ? a : b);
    a.applyAll(b.delta(a.version()));
    const samples = [a.save()];
    a.delete(0, 2);
    samples.push(a.save());
    const report = fuzzDecoder(
      'Rga.decode (saved)',
      (bytes) => Rga.decode(bytes, replicaId('reader')),
      samples,
      {
        cases: budget(1500, 100_000),
        seed: testSeed(),
        encode: (doc) => doc.encode(),
        check: (doc) => {
          doc.assertInvariants();
          const text = doc.toString();
          doc.insert(doc.length, '!');
          expect(doc.toString()).toBe(`${text}!`);
          expect(Rga.decode(doc.save(), replicaId('reader')).toString()).toBe(doc.toString());
        },
      },
    );
    expect(report.rejected).toBeGreaterThan(0);
  });
});
