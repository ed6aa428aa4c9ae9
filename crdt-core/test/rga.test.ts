import {
  DecodeError,
  decodeRgaOps,
  encodeRgaOp,
  encodeRgaOps,
  type InsertOp,
  type ReplicaId,
  Rga,
  type RgaId,
  type RgaOp,
  replicaId,
  SeededRandom,
} from '@converge/crdt-core';
import { describe, expect, it } from 'vitest';

const A = replicaId('alice');
const B = replicaId('bob');
const C = replicaId('carol');

/** Send every op through the wire format, as a real peer would receive it. */
function viaWire(ops: readonly RgaOp[]): RgaOp[] {
  return decodeRgaOps(encodeRgaOps(ops));
}

/**
 * Two documents of replica A for comparing edit paths, both holding one deleted character: applying
 * that delete again builds the id index on `general` (a remote delete looks its ids up), which keeps
 * it off the local fast paths, so both must build the same document from the same edits.
 */
function fastAndGeneral(): { fast: Rga; general: Rga } {
  const fast = new Rga(A);
  const general = new Rga(A);
  for (const doc of [fast, general]) {
    doc.insert(0, 'x');
    doc.delete(0, 1);
  }
  expect(general.apply({ kind: 'delete', ranges: [{ replica: A, counter: 1, length: 1 }] })).toBe(
    'duplicate',
  );
  expect((general as unknown as { ids: unknown }).ids).not.toBeNull();
  expect((fast as unknown as { ids: unknown }).ids).toBeNull();
  return { fast, general };
}

function expectSameDocument(fast: Rga, general: Rga): void {
  fast.assertInvariants();
  general.assertInvariants();
  expect(fast.stats()).toEqual(general.stats());
  expect(fast.encode()).toEqual(general.encode());
}

function ok<T>(value: T | null): T {
  if (value === null) throw new Error('expected an op');
  return value;
}

describe('Rga local editing', () => {
  it('inserts and deletes by visible index', () => {
    const doc = new Rga(A);
    doc.insert(0, 'hello');
    doc.insert(5, ' world');
    doc.insert(0, '>> ');
    expect(doc.toString()).toBe('>> hello world');
    doc.delete(0, 3);
    doc.delete(5, 1);
    doc.insert(5, ', ');
    expect(doc.toString()).toBe('hello, world');
    expect(doc.length).toBe(12);
    doc.assertInvariants();
  });

  it('returns null for empty edits and rejects out-of-range positions', () => {
    const doc = new Rga(A);
    expect(doc.insert(0, '')).toBeNull();
    doc.insert(0, 'abc');
    expect(doc.delete(1, 0)).toBeNull();
    expect(() => doc.insert(4, 'x')).toThrow(RangeError);
    expect(() => doc.insert(-1, 'x')).toThrow(RangeError);
    expect(() => doc.insert(1.5, 'x')).toThrow(RangeError);
    expect(() => doc.delete(2, 2)).toThrow(RangeError);
    expect(() => doc.delete(0, -1)).toThrow(RangeError);
    expect(() => doc.insert(0, 5 as unknown as string)).toThrow(TypeError);
    expect(doc.toString()).toBe('abc');
  });

  it('gives each character one counter, continuing from where the replica was', () => {
    const doc = new Rga(A);
    const first = ok(doc.insert(0, 'ab'));
    const second = ok(doc.insert(2, 'c'));
    expect(first.id).toEqual({ replica: A, counter: 1 });
    expect(second.id).toEqual({ replica: A, counter: 3 });
    expect(second.left).toEqual({ replica: A, counter: 2 });
    // Typed on: the right origin is the left origin's own (here the document end).
    expect(second.right).toBe('inherit');
    ok(doc.delete(0, 3));
    expect(ok(doc.insert(0, 'd')).id.counter).toBe(4);
    expect(doc.version()).toEqual({ [A]: 4 });
  });

  it('typing keeps one run; deleting it leaves one tombstone run without content', () => {
    const doc = new Rga(A);
    const text = 'the quick brown fox';
    for (let i = 0; i < text.length; i++) doc.insert(i, text[i] as string);
    expect(doc.stats().runs).toBe(1);
    for (let i = text.length; i > 0; i--) doc.delete(i - 1, 1);
    expect(doc.toString()).toBe('');
    expect(doc.stats()).toMatchObject({ runs: 1, tombstoneRuns: 1, tombstoneChars: text.length });
    doc.assertInvariants();
  });

  it('backspace and forward delete next to a tombstone build what the general path builds', () => {
    const rng = new SeededRandom(7);
    for (let round = 0; round < 10; round++) {
      const { fast, general } = fastAndGeneral();
      for (let step = 0; step < 300; step++) {
        const length = fast.length;
        const at = rng.int(0, length);
        const roll = rng.int(0, 9);
        if (length === 0 || roll < 4) {
          const text = 'abcdefgh'.slice(0, rng.int(1, 4));
          expect(fast.insert(at, text)).toEqual(general.insert(at, text));
        } else {
          // Runs of backspaces, forward deletes or both, of one or a few characters.
          let index = at === length ? at - 1 : at;
          for (let k = rng.int(1, 6); k > 0 && fast.length > 0; k--) {
            const count = Math.min(rng.int(1, 3), fast.length - index);
            expect(fast.delete(index, count)).toEqual(general.delete(index, count));
            if (roll < 7 ? index > 0 : index >= fast.length) index = Math.max(0, index - 1);
            index = Math.min(index, fast.length - 1);
            if (index < 0) break;
          }
        }
        expect(fast.toString()).toBe(general.toString());
      }
      expectSameDocument(fast, general);
    }
  });

  it('typing, backspacing over it and typing again builds what the general path builds', () => {
    // A typing session: type at the caret, backspace a few characters, type on, sometimes move the
    // caret. The fast document takes the typing-on and backspace-into-tombstone paths.
    const rng = new SeededRandom(23);
    for (let round = 0; round < 20; round++) {
      const { fast, general } = fastAndGeneral();
      let caret = 0;
      for (let step = 0; step < 400; step++) {
        const roll = rng.int(0, 9);
        if (roll < 5 || fast.length === 0) {
          const text = 'abcdefgh'.slice(0, rng.int(1, roll === 0 ? 4 : 1));
          expect(fast.insert(caret, text)).toEqual(general.insert(caret, text));
          caret += text.length;
        } else if (roll < 9) {
          for (let k = rng.int(1, 4); k > 0 && caret > 0; k--) {
            caret--;
            expect(fast.delete(caret, 1)).toEqual(general.delete(caret, 1));
          }
        } else caret = rng.int(0, fast.length);
        expect(fast.toString()).toBe(general.toString());
        fast.assertInvariants();
      }
      expectSameDocument(fast, general);
    }
  });

  it('deletes within one run and across runs name the ids a per-character model deletes', () => {
    // Inserts at random places cut the text into many runs; each delete, of one character up to a
    // stretch across several runs, must name exactly the deleted characters' ids (adjacent ids of a
    // replica as one range, in text order) and leave the text the model has, on both documents.
    const rng = new SeededRandom(31);
    for (let round = 0; round < 8; round++) {
      const { fast, general } = fastAndGeneral();
      const model: { char: string; counter: number }[] = [];
      for (let step = 0; step < 300; step++) {
        if (model.length < 8 || rng.int(0, 9) < 5) {
          const at = rng.int(0, model.length);
          const text = 'abcdefgh'.slice(0, rng.int(1, 6));
          const op = ok(fast.insert(at, text));
          expect(general.insert(at, text)).toEqual(op);
          model.splice(at, 0, ...[...text].map((char, i) => ({ char, counter: op.id.counter + i })));
        } else {
          const index = rng.int(0, model.length - 1);
          const count = rng.int(1, Math.min(model.length - index, rng.chance(0.5) ? 3 : 40));
          const ranges: { replica: ReplicaId; counter: number; length: number }[] = [];
          for (const { counter } of model.splice(index, count)) {
            const last = ranges[ranges.length - 1];
            if (last !== undefined && last.counter + last.length === counter) last.length++;
            else ranges.push({ replica: A, counter, length: 1 });
          }
          expect(fast.delete(index, count)).toEqual({ kind: 'delete', ranges });
          expect(general.delete(index, count)).toEqual({ kind: 'delete', ranges });
        }
        expect(fast.toString()).toBe(model.map((c) => c.char).join(''));
      }
      expectSameDocument(fast, general);
    }
  });

  it('every insert path (typing on, at the end, at a run boundary, inside a run) makes the op a cursorless document makes', () => {
    // A document decoded from a snapshot has no cursor, so its insert takes the general path from
    // scratch; the invariants check that typing on may grow the cursor run.
    const rng = new SeededRandom(11);
    for (let round = 0; round < 5; round++) {
      const doc = new Rga(A);
      let at = 0;
      for (let step = 0; step < 200; step++) {
        const roll = rng.int(0, 9);
        if (roll < 2 && doc.length > 0) {
          const count = Math.min(rng.int(1, 3), doc.length - Math.min(at, doc.length - 1));
          at = Math.min(at, doc.length - 1);
          doc.delete(at, count);
          if (rng.int(0, 1) === 0) at = Math.max(0, at - 1);
          continue;
        }
        if (roll < 4) at = rng.int(0, doc.length);
        else if (roll === 4) at = doc.length;
        const text = 'xyzw'.slice(0, rng.int(1, 3));
        const general = Rga.decode(doc.encode(), A);
        expect(doc.insert(at, text)).toEqual(general.insert(at, text));
        expect(doc.toString()).toBe(general.toString());
        doc.assertInvariants();
        at += text.length;
      }
    }
  });

  it('inserting at the end goes after every tombstone, also when whole trailing leaves are deleted', () => {
    // Characters typed alternately at the start and the end: one run each, so many tree leaves.
    const doc = new Rga(A);
    for (let i = 0; i < 300; i++)
      doc.insert(i % 2 === 0 ? doc.length : 0, String.fromCharCode(97 + (i % 26)));
    expect(doc.stats().leaves).toBeGreaterThan(3);
    const original = doc.toString();
    const peer = Rga.decode(doc.encode(), B);
    doc.delete(100, doc.length - 100);
    const op = ok(doc.insert(doc.length, 'end'));
    doc.assertInvariants();
    expect(doc.toString()).toBe(`${original.slice(0, 100)}end`);
    // A peer that has not seen the delete yet must see the new text after all of the old text: the
    // right origin is the last character's, the document end.
    expect(op.right).toBe('inherit');
    expect(peer.apply(viaWire([op])[0] as RgaOp)).toBe('applied');
    expect(peer.toString()).toBe(`${original}end`);
  });

  it('handles text with surrogate pairs split by edits', () => {
    const doc = new Rga(A);
    doc.insert(0, 'a😀b');
    doc.delete(1, 1); // half of the pair
    const copy = Rga.decode(doc.encode(), B);
    expect(copy.toString()).toBe(doc.toString());
    expect(copy.toString()).toBe(`a${'😀'.charAt(1)}b`);
  });
});

describe('Rga replication', () => {
  it('applies ops from another replica and reports duplicates', () => {
    const a = new Rga(A);
    const b = new Rga(B);
    const ops = [ok(a.insert(0, 'hello')), ok(a.insert(5, '!')), ok(a.delete(0, 1))];
    for (const op of viaWire(ops)) expect(b.apply(op)).toBe('applied');
    expect(b.toString()).toBe('ello!');
    for (const op of viaWire(ops)) expect(b.apply(op)).toBe('duplicate');
    expect(b.toString()).toBe('ello!');
    b.assertInvariants();
  });

  it('reports missing dependencies without changing anything, and accepts them later', () => {
    const a = new Rga(A);
    const b = new Rga(B);
    const first = ok(a.insert(0, 'ab'));
    const second = ok(a.insert(1, 'X'));
    const del = ok(a.delete(0, 1));
    expect(b.apply(second)).toBe('missing-dependency');
    expect(b.apply(del)).toBe('missing-dependency');
    expect(b.toString()).toBe('');
    expect(b.version()).toEqual({});
    expect(b.applyAll([del, second, first])).toEqual([]);
    expect(b.toString()).toBe(a.toString());
  });

  it('applies the new part of an op that overlaps what it has', () => {
    const a = new Rga(A);
    const b = new Rga(B);
    b.apply(ok(a.insert(0, 'abc')));
    a.insert(3, 'def');
    // A delta from counter 1 re-sends "abc" merged with "def" in one insert.
    const merged: InsertOp = {
      kind: 'insert',
      id: { replica: A, counter: 1 },
      left: null,
      right: null,
      text: 'abcdef',
    };
    expect(b.apply(merged)).toBe('applied');
    expect(b.toString()).toBe('abcdef');
    expect(b.version()).toEqual({ [A]: 6 });
    b.assertInvariants();
  });

  it('rejects malformed operations with a clear error', () => {
    const doc = new Rga(A);
    const bad = (op: unknown) => () => doc.apply(op as RgaOp);
    expect(bad(null)).toThrow(TypeError);
    expect(bad({ kind: 'move' })).toThrow(TypeError);
    expect(
      bad({ kind: 'insert', id: { replica: B, counter: 0 }, left: null, right: null, text: 'x' }),
    ).toThrow(RangeError);
    expect(
      bad({ kind: 'insert', id: { replica: B, counter: 1 }, left: null, right: null, text: '' }),
    ).toThrow(TypeError);
    expect(bad({ kind: 'delete', ranges: 'nope' })).toThrow(TypeError);
    expect(
      bad({ kind: 'tombstone', id: { replica: B, counter: 1 }, left: null, right: null, length: 0 }),
    ).toThrow(RangeError);
  });

  it('orders concurrent inserts at one spot the same everywhere and never interleaves words', () => {
    const base = new Rga(A);
    const start = ok(base.insert(0, '[]'));
    const replicas = [A, B, C].map((id) => {
      const doc = new Rga(id);
      doc.apply(start);
      return doc;
    });
    const words = ['alpha', 'BRAVO', 'charlie'];
    const ops: RgaOp[] = [];
    replicas.forEach((doc, r) => {
      const word = words[r] as string;
      // Half typed forwards one key at a time, then the rest typed backwards from the end.
      for (let i = 0; i < 3; i++) ops.push(ok(doc.insert(1 + i, word[i] as string)));
      for (let i = word.length - 1; i >= 3; i--) ops.push(ok(doc.insert(4, word[i] as string)));
      expect(doc.toString()).toBe(`[${word}]`);
    });
    const results = replicas.map((doc, r) => {
      const shuffled = [...ops].sort(
        (x, y) => ((ops.indexOf(x) * (r + 7)) % 11) - ((ops.indexOf(y) * (r + 7)) % 11),
      );
      expect(doc.applyAll(shuffled)).toEqual([]);
      doc.assertInvariants();
      return doc.toString();
    });
    expect(new Set(results).size).toBe(1);
    const merged = results[0] as string;
    for (const word of words) expect(merged).toContain(word);
  });

  it('keeps a backward-typed word whole against a concurrent forward-typed one', () => {
    const a = new Rga(A);
    const b = new Rga(B);
    const opsA = ['x', 'y', 'z'].map((ch, i) => ok(a.insert(i, ch)));
    const opsB = ['3', '2', '1'].map((ch) => ok(b.insert(0, ch)));
    a.applyAll(opsB);
    b.applyAll(opsA);
    expect(a.toString()).toBe(b.toString());
    expect(['xyz123', '123xyz']).toContain(a.toString());
  });
});

describe('Rga delta sync and snapshots', () => {
  function sampleDoc(): Rga {
    const a = new Rga(A);
    const b = new Rga(B);
    a.insert(0, 'The quick fox');
    b.applyAll(a.delta(b.version()));
    b.insert(4, 'very ');
    a.insert(13, ' jumps');
    a.delete(0, 4);
    a.applyAll(b.delta(a.version()));
    return a;
  }

  it('delta brings an empty or partial document up to date', () => {
    const a = sampleDoc();
    const empty = new Rga(C);
    expect(empty.applyAll(viaWire(a.delta()))).toEqual([]);
    expect(empty.toString()).toBe(a.toString());
    expect(empty.version()).toEqual(a.version());

    const partial = new Rga(C);
    partial.apply(ok(new Rga(A).insert(0, 'The')));
    expect(partial.applyAll(viaWire(a.delta(partial.version())))).toEqual([]);
    expect(partial.toString()).toBe(a.toString());
    partial.assertInvariants();
  });

  it('a delta since the full version carries only the delete set', () => {
    const a = sampleDoc();
    const ops = a.delta(a.version());
    expect(ops.every((op) => op.kind === 'delete')).toBe(true);
  });

  it('round-trips through a snapshot, keeping ids, tombstones and the replica counters', () => {
    const a = sampleDoc();
    const bytes = a.encode();
    const copy = Rga.decode(bytes, A);
    expect(copy.toString()).toBe(a.toString());
    expect(copy.version()).toEqual(a.version());
    expect(copy.encode()).toEqual(bytes);
    copy.assertInvariants();
    // Editing continues with fresh counters, and the edits merge into the original.
    const op = ok(copy.insert(0, '>'));
    expect(op.id.counter).toBe((a.version()[A] as number) + 1);
    expect(a.apply(op)).toBe('applied');
    expect(a.toString()).toBe(copy.toString());
  });

  it('ranks spans by counter whether the packed sort keys fit 32 bits or not', () => {
    // Each insert lands inside the first run, so about 3,000 spans: the encoder sorts them by
    // counter × 2^12 + span, which fits 32 bits after a short first run and not after 2^20 characters.
    for (const first of [40, 2 ** 20]) {
      const doc = new Rga(A);
      const peer = new Rga(B);
      doc.insert(0, 'x'.repeat(first));
      for (let i = 0; i < 1500; i++) {
        const at = (i * 7919) % doc.length;
        ok(doc.insert(at, 'ab'));
        if (i % 5 === 0) ok(doc.delete(at + 1, 1));
        // A second replica's inserts too, for the replica column.
        if (i % 3 === 0) {
          const op = ok(peer.insert(0, 'p'));
          expect(doc.apply(op)).toBe('applied');
        }
      }
      const bytes = doc.encode();
      const copy = Rga.decode(bytes, C);
      expect(copy.toString() === doc.toString()).toBe(true);
      expect(copy.version()).toEqual(doc.version());
      expect(copy.delta()).toEqual(doc.delta());
      expect(copy.encode()).toEqual(bytes);
    }
  });

  /** Edits whose snapshot has origins the format can name by position (see the comments). */
  function positionSample(): Rga {
    const doc = new Rga(A);
    doc.insert(0, 'HelloWorld');
    doc.insert(5, ' big'); // splits the first run: "World" keeps its own predecessor as left origin
    doc.insert(0, '>'); // typing elsewhere, so the next insert starts a span of its own
    doc.insert(10, ' wide'); // between " big" and its right origin "W", now two spans on
    return doc;
  }

  it('stores no origins for a one-author document: they follow from document order', async () => {
    const { decodeSnapshot } = await import('../src/rga/snapshot.ts');
    const doc = positionSample();
    expect(doc.toString()).toBe('>Hello big wideWorld');
    const bytes = doc.encode();
    expect(decodeSnapshot(bytes).exceptions).toHaveLength(0);
    // Header, table, three one-value-per-span columns, an empty exception column, text and marks.
    expect(bytes.length).toBeLessThanOrEqual(new Rga(A).encode().length + 3 * 5 + 20 + 4);
    const copy = Rga.decode(bytes, A);
    expect(copy.encode()).toEqual(bytes);
    // Origins came back as ids: a peer's edits next to them land where they did on A.
    const peer = Rga.decode(bytes, C);
    const op = ok(peer.insert(6, '!'));
    expect(doc.apply(op)).toBe('applied');
    expect(copy.apply(op)).toBe('applied');
    expect(copy.toString()).toBe('>Hello! big wideWorld');
    expect(doc.toString()).toBe(copy.toString());
  });

  it('keeps origins that document order does not give as exceptions', async () => {
    const { decodeSnapshot } = await import('../src/rga/snapshot.ts');
    const doc = new Rga(A);
    doc.insert(0, 'abc');
    // Not a local insert: its origins a and c were not neighbours (b is between them).
    const op: RgaOp = {
      kind: 'insert',
      id: { replica: B, counter: 1 },
      left: { replica: A, counter: 1 },
      right: { replica: A, counter: 3 },
      text: 'X',
    };
    expect(doc.apply(op)).toBe('applied');
    const bytes = doc.encode();
    expect(decodeSnapshot(bytes).exceptions.length).toBeGreaterThan(0);
    const copy = Rga.decode(bytes, C);
    expect(copy.toString()).toBe(doc.toString());
    expect(copy.delta()).toEqual(doc.delta());
    expect(copy.encode()).toEqual(bytes);
  });

  it('encodes a decoded document not built yet from its columns, to the bytes it came from', async () => {
    const { decodeSnapshot, encodeImage } = await import('../src/rga/snapshot.ts');
    const doc = new Rga(A);
    doc.insert(0, 'abcdef');
    const foreign = (replica: string, left: RgaId | null, right: RgaId | null, text: string): RgaOp => ({
      kind: 'insert',
      id: { replica: replicaId(replica), counter: 1 },
      left,
      right,
      text,
    });
    // Origins that were not neighbours: an exception.
    expect(doc.apply(foreign('dave', { replica: A, counter: 1 }, null, 'XY'))).toBe('applied');
    expect(doc.apply(foreign('erin', { replica: A, counter: 2 }, { replica: A, counter: 5 }, 'Z'))).toBe(
      'applied',
    );
    doc.insert(2, 'typed');
    doc.delete(4, 3);
    const bytes = doc.encode();
    const exceptions = decodeSnapshot(bytes).exceptions;
    expect(exceptions.length).toBeGreaterThan(0);
    const unbuilt = Rga.decode(bytes, C);
    expect(unbuilt.encode()).toEqual(bytes);
    const built = Rga.decode(bytes, C);
    built.assertInvariants(); // builds the tree
    expect(built.encode()).toEqual(bytes);
    // Still unbuilt after encoding: edits build it and go on as usual.
    expect(unbuilt.insert(0, '>')).not.toBeNull();
    expect(unbuilt.toString()).toBe(`>${doc.toString()}`);
    unbuilt.assertInvariants();
    // A span with exceptions on both sides (the right one added by hand) is written back as it came.
    const image = decodeSnapshot(bytes);
    const s = image.exceptions[0] as number;
    const both = {
      ...image,
      exceptions: Float64Array.from([...image.exceptions.subarray(0, 4), s, 1, -1, 0]),
    };
    expect(decodeSnapshot(encodeImage(both)).exceptions).toEqual(both.exceptions);
  });

  it('opens snapshots written before origins were named by position', () => {
    const now = positionSample();
    now.delete(1, 2);
    // What the previous format wrote for these edits: every origin it could not point at as
    // "previous span" or "next span" as an explicit id.
    const before = Uint8Array.from([
      67, 86, 1, 14, 1, 5, 97, 108, 105, 99, 101, 5, 9, 0, 15, 1, 0, 29, 5, 18, 10, 4, 0, 10, 10, 2, 5, 4, 29,
      5, 0, 2, 18, 62, 108, 108, 111, 32, 98, 105, 103, 32, 119, 105, 100, 101, 87, 111, 114, 108, 100, 3, 1,
      2, 17,
    ]);
    const opened = Rga.decode(before, A);
    opened.assertInvariants();
    expect(opened.toString()).toBe('>llo big wideWorld');
    expect(opened.encode()).toEqual(now.encode());
    expect(opened.encode().length).toBeLessThan(before.length);
  });

  it('rejects format 1 snapshots whose position-named origins point nowhere', () => {
    // What format 1 wrote for alice typing "ab": one span, its flags right after the span count.
    const bytes = Uint8Array.from([
      67, 86, 1, 14, 1, 5, 97, 108, 105, 99, 101, 1, 1, 0, 1, 2, 2, 97, 98, 1, 2,
    ]);
    expect(Rga.decode(bytes, A).toString()).toBe('ab');
    const flagsAt = 12;
    expect(bytes[flagsAt]).toBe(1); // replica follows, left: document start, right: document end
    const withFlags = (flags: number) => Uint8Array.from(bytes, (b, i) => (i === flagsAt ? flags : b));
    expect(() => Rga.decode(withFlags(1 | (3 << 1)), A)).toThrow(/first id of a replica has no predecessor/);
    expect(() => Rga.decode(withFlags(1 | (3 << 3)), A)).toThrow(/span after the last/);
  });

  it('rejects bytes of the wrong type or corrupted ids', () => {
    const a = sampleDoc();
    expect(() => Rga.decode(encodeRgaOps(a.delta()), A)).toThrow(DecodeError);
    expect(() => decodeRgaOps(a.encode())).toThrow(DecodeError);
    expect(() => Rga.decode(new Uint8Array([1, 2, 3]), A)).toThrow(DecodeError);
  });
});

describe('Rga update codec', () => {
  it('the single-op fast paths write exactly what the general encoder writes', async () => {
    const { encodeGeneral } = await import('../src/rga/op-codec.ts');
    const samples: RgaOp[] = [
      {
        kind: 'insert',
        id: { replica: A, counter: 9 },
        left: { replica: A, counter: 8 },
        right: null,
        text: 'x',
      },
      {
        kind: 'insert',
        id: { replica: A, counter: 200 },
        left: null,
        right: { replica: A, counter: 3 },
        text: 'hi',
      },
      {
        kind: 'insert',
        id: { replica: A, counter: 5 },
        left: { replica: B, counter: 2 },
        right: null,
        text: 'é😀',
      },
      {
        kind: 'insert',
        id: { replica: A, counter: 5 },
        left: { replica: A, counter: 4 },
        right: null,
        text: 'é',
      },
      {
        kind: 'tombstone',
        id: { replica: A, counter: 70000 },
        left: null,
        right: { replica: A, counter: 1 },
        length: 300,
      },
      { kind: 'delete', ranges: [{ replica: B, counter: 123456, length: 129 }] },
      {
        kind: 'insert',
        id: { replica: A, counter: 2 },
        left: { replica: B, counter: 1 },
        right: { replica: C, counter: 1 },
        text: 'z',
      },
      {
        kind: 'insert',
        id: { replica: A, counter: 2 },
        left: { replica: B, counter: 1 },
        right: { replica: B, counter: 7 },
        text: 'z',
      },
      // Own-replica inserts of other replicas, texts that outgrow the reused buffer, a lone
      // surrogate, a right origin above the op's counter (negative delta), a long replica id.
      {
        kind: 'insert',
        id: { replica: B, counter: 300 },
        left: null,
        right: { replica: B, counter: 900 },
        text: 'q',
      },
      {
        kind: 'insert',
        id: { replica: A, counter: 12 },
        left: { replica: A, counter: 11 },
        right: null,
        text: 'ab\ud800c',
      },
      {
        kind: 'insert',
        id: { replica: A, counter: 13 },
        left: null,
        right: null,
        text: 'long text '.repeat(50),
      },
      {
        kind: 'insert',
        id: { replica: B, counter: 14 },
        left: null,
        right: null,
        text: 'ünïcödé '.repeat(2000),
      },
      { kind: 'delete', ranges: [{ replica: A, counter: 1, length: 1 }] },
      {
        kind: 'insert',
        id: { replica: replicaId('r'.repeat(256)), counter: 1 },
        left: null,
        right: null,
        text: 'y',
      },
      {
        kind: 'insert',
        id: { replica: A, counter: 15 },
        left: { replica: A, counter: 14 },
        right: null,
        text: 'x',
      },
      // Inherited right origins, after the own predecessor, after another replica's character and
      // after an earlier own one; short and long tombstones; deletes with many ranges, with ranges
      // of several replicas; a replica id that does not pack (upper case).
      {
        kind: 'insert',
        id: { replica: A, counter: 16 },
        left: { replica: A, counter: 15 },
        right: 'inherit',
        text: 'y',
      },
      {
        kind: 'insert',
        id: { replica: A, counter: 17 },
        left: { replica: B, counter: 4 },
        right: 'inherit',
        text: 'yz',
      },
      {
        kind: 'insert',
        id: { replica: A, counter: 19 },
        left: { replica: A, counter: 3 },
        right: 'inherit',
        text: 'é',
      },
      { kind: 'tombstone', id: { replica: A, counter: 20 }, left: null, right: null, length: 1 },
      {
        kind: 'delete',
        ranges: Array.from({ length: 40 }, (_, i) => ({ replica: A, counter: 1 + 3 * i, length: 2 })),
      },
      {
        kind: 'delete',
        ranges: [
          { replica: A, counter: 5, length: 1 },
          { replica: B, counter: 9, length: 3 },
        ],
      },
      { kind: 'insert', id: { replica: replicaId('Ab'), counter: 1 }, left: null, right: null, text: 'w' },
    ];
    for (const op of samples) {
      expect(encodeRgaOp(op)).toEqual(encodeGeneral([op]));
      expect(encodeRgaOps([op])).toEqual(encodeGeneral([op]));
      expect(decodeRgaOps(encodeRgaOps([op]))).toEqual([op]);
    }
    expect(decodeRgaOps(encodeRgaOps(samples))).toEqual(samples);
    // Batches of one replica's ops (a local transaction) take the fast path too.
    const own = samples.filter((op) =>
      op.kind === 'delete'
        ? op.ranges.every((r) => r.replica === A)
        : op.id.replica === A &&
          op.left?.replica !== B &&
          op.left?.replica !== C &&
          (op.right === 'inherit' || (op.right?.replica !== B && op.right?.replica !== C)),
    );
    own.push({
      kind: 'delete',
      ranges: [
        { replica: A, counter: 3, length: 2 },
        { replica: A, counter: 90000, length: 1000 },
      ],
    });
    expect(own.length).toBeGreaterThan(5);
    expect(encodeRgaOps(own)).toEqual(encodeGeneral(own));
    expect(decodeRgaOps(encodeRgaOps(own))).toEqual(own);
  });

  it('the keystroke and own-delete fast paths write exactly what the general encoder writes', async () => {
    const { encodeGeneral } = await import('../src/rga/op-codec.ts');
    const long = (n: number) => 'abcdefghij'.repeat(26).slice(0, n);
    const texts = ['a', 'xy', 'abcdefgh', 'abcdefghi', long(127), long(128), long(256), long(257), 'é'];
    texts.push('ab\ud800', '\u007f\u0080', `${long(200)}é`);
    const counters = [1, 2, 127, 128, 16383, 16384, 2 ** 21 - 1, 2 ** 21, 2 ** 31, 2 ** 50];
    for (const replica of [A, B, A]) {
      for (const counter of counters) {
        for (const text of texts) {
          const origins = [null, { replica, counter: counter - 1 }, { replica, counter: counter + 5000 }];
          for (const left of origins) {
            const rights = [
              null,
              { replica, counter: counter + 1 },
              { replica: C, counter: 3 },
              'inherit' as const,
            ];
            for (const right of left === null ? rights.slice(0, 3) : rights) {
              const op: InsertOp = { kind: 'insert', id: { replica, counter }, left, right, text };
              expect(encodeRgaOps([op])).toEqual(encodeGeneral([op]));
              // A replacement: a delete of the replica's own ids (or another's), then the insert.
              for (const deleted of [replica, C]) {
                const pair: RgaOp[] = [
                  { kind: 'delete', ranges: [{ replica: deleted, counter: counter + 7, length: counter }] },
                  op,
                ];
                expect(encodeRgaOps(pair)).toEqual(encodeGeneral(pair));
                const ranges = [
                  { replica, counter: counter + 7, length: counter },
                  { replica: deleted, counter: 2, length: 3 },
                ];
                const multi: RgaOp[] = [{ kind: 'delete', ranges }, op];
                expect(encodeRgaOps(multi)).toEqual(encodeGeneral(multi));
              }
            }
          }
        }
        for (const length of [1, 3, 200, 2 ** 40]) {
          const one: RgaOp = { kind: 'delete', ranges: [{ replica, counter, length }] };
          const two: RgaOp = {
            kind: 'delete',
            ranges: [
              { replica, counter, length },
              { replica: C, counter: 7, length: 2 },
            ],
          };
          expect(encodeRgaOps([one])).toEqual(encodeGeneral([one]));
          expect(encodeRgaOps([two])).toEqual(encodeGeneral([two]));
          // Several ranges of the replica's own ids, up to the inline count and past it.
          for (const count of [2, 31, 32]) {
            const ranges = Array.from({ length: count }, (_, k) => ({
              replica,
              counter: counter + 9 * k,
              length,
            }));
            const own: RgaOp = { kind: 'delete', ranges };
            expect(encodeRgaOps([own])).toEqual(encodeGeneral([own]));
          }
        }
      }
    }
  });

  it('pastes and deletes up to the fast paths limits write what the general encoder writes', async () => {
    const { encodeGeneral } = await import('../src/rga/op-codec.ts');
    const long = (n: number) => 'abcdefghij'.repeat(1700).slice(0, n);
    for (const replica of [A, B]) {
      for (const counter of [1, 200, 2 ** 40]) {
        const left = counter > 1 ? { replica, counter: counter - 1 } : null;
        // The limit (16,384 characters), one past it (the general path), and non-ASCII past 256.
        for (const text of [long(300), long(16384), long(16385), `${long(300)}é`]) {
          const op: InsertOp = { kind: 'insert', id: { replica, counter }, left, right: null, text };
          expect(encodeRgaOp(op)).toEqual(encodeGeneral([op]));
          const ranges = Array.from({ length: 40 }, (_, k) => ({ replica, counter: 1 + 9 * k, length: 2 }));
          const pair: RgaOp[] = [{ kind: 'delete', ranges }, op];
          expect(encodeRgaOps(pair)).toEqual(encodeGeneral(pair));
        }
        // The limit (1,024 ranges) and one past it.
        for (const count of [100, 1024, 1025]) {
          const ranges = Array.from({ length: count }, (_, k) => ({
            replica,
            counter: counter + 9 * k,
            length: 1 + k,
          }));
          const op: RgaOp = { kind: 'delete', ranges };
          expect(encodeRgaOp(op)).toEqual(encodeGeneral([op]));
          expect(decodeRgaOps(encodeRgaOp(op))).toEqual([op]);
        }
      }
    }
  });

  it('a character typed on costs its flags, counter and byte beyond the header and replica id', () => {
    const doc = new Rga(A);
    doc.insert(0, 'ab');
    const bytes = encodeRgaOps([ok(doc.insert(2, 'c'))]);
    // Header 1, table 1 + 4 ("alice" packed), flags 1 (own predecessor, inherited right, one
    // ASCII character), counter 1, the character 1.
    expect(bytes.length).toBe(9);
  });
});
