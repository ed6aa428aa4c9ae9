// The journal Rga.save encodes coalesces operations as they are recorded; the bytes must be what
// coalescing the recorded operations at save time wrote (the reference below, the code it
// replaced): the chunk each save appends is compared byte for byte over random sessions with
// typing on, jumps, backspaces, undo's inserts and other replicas' operations (tombstones too).
import { decodeRgaOps, encodeRgaOps, Rga, type RgaOp, replicaId, SeededRandom } from '@converge/crdt-core';
import { fcParams } from '@converge/crdt-core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSaved, readSaved } from '../src/rga/saved.ts';
import type { IdRange, InsertOp } from '../src/rga/types.ts';

/** Coalescing at save time, as `Rga.save` did before its journal (the reference). */
function coalesce(ops: readonly RgaOp[]): RgaOp[] {
  const out: RgaOp[] = [];
  for (const op of ops) {
    const last = out[out.length - 1];
    if (op.kind === 'insert' && last?.kind === 'insert' && typesOn(last, op)) {
      out[out.length - 1] = { ...last, text: last.text + op.text };
    } else if (op.kind === 'delete' && last?.kind === 'delete') {
      const ranges = [...last.ranges];
      for (const range of op.ranges) joinRange(ranges, range);
      out[out.length - 1] = { kind: 'delete', ranges };
    } else out.push(op);
  }
  return out;
}

function typesOn(last: InsertOp, next: InsertOp): boolean {
  const end = last.id.counter + last.text.length;
  return (
    next.right === 'inherit' &&
    next.left !== null &&
    next.id.replica === last.id.replica &&
    next.id.counter === end &&
    next.left.replica === last.id.replica &&
    next.left.counter === end - 1
  );
}

function joinRange(ranges: IdRange[], range: IdRange): void {
  const last = ranges[ranges.length - 1];
  const meets =
    last !== undefined &&
    last.replica === range.replica &&
    (last.counter + last.length === range.counter || range.counter + range.length === last.counter);
  if (!meets) {
    ranges.push(range);
    return;
  }
  const counter = Math.min(last.counter, range.counter);
  ranges[ranges.length - 1] = { replica: last.replica, counter, length: last.length + range.length };
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** One local edit of `doc`; returns the ops it recorded. Typing on at the end is the commonest. */
function edit(rng: SeededRandom, doc: Rga): RgaOp[] {
  const roll = rng.next();
  const text = rng.pick(['a', 'b', 'cd', 'é', '😀', 'xyz ', 'a long pasted line of text']);
  if (roll < 0.45 || doc.length < 2) {
    const at = rng.chance(0.7) ? doc.length : rng.int(0, doc.length);
    // Either API: the op back, or only the update (the op-free typing path).
    if (rng.chance(0.5)) {
      const op = doc.insert(at, text);
      return op === null ? [] : [op];
    }
    const update = doc.insertUpdate(at, text);
    return update === null ? [] : decodeRgaOps(update);
  }
  if (roll < 0.8) {
    const at = rng.chance(0.6) ? doc.length - 1 : rng.int(0, doc.length - 1);
    const length = Math.min(doc.length - at, rng.int(1, 3));
    if (rng.chance(0.5)) {
      const op = doc.delete(at, length);
      return op === null ? [] : [op];
    }
    const update = doc.editUpdate(at, length, rng.chance(0.5) ? '' : text);
    return update === null ? [] : decodeRgaOps(update);
  }
  if (roll < 0.9) {
    const version = doc.version();
    const replica = replicaId(rng.pick(Object.keys(version)));
    const op = doc.insertBefore({ replica, counter: rng.int(1, version[replica] as number) }, 'u')?.op;
    return op === undefined ? [] : [op];
  }
  return [];
}

describe('Rga.save journal', () => {
  it('appends the chunk coalescing the recorded operations at save time wrote, byte for byte', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const rng = new SeededRandom(seed);
        const doc = new Rga(replicaId('saver'));
        const other = new Rga(replicaId('other'));
        let recorded: RgaOp[] = [];
        let chunks = 0;
        doc.save();
        for (let step = 0; step < 200; step++) {
          const roll = rng.next();
          if (roll < 0.7) recorded.push(...edit(rng, doc));
          else if (roll < 0.82) {
            edit(rng, other);
            // The other replica's ops (tombstones for what it deleted), applied one by one.
            for (const op of other.delta(doc.version())) if (doc.apply(op) === 'applied') recorded.push(op);
            other.applyAll(doc.delta(other.version()));
          } else {
            // Nothing saved since the snapshot: the snapshot alone.
            const bytes = doc.save();
            const saved = isSaved(bytes) ? readSaved(bytes) : { chunks: [] };
            if (recorded.length > 0) {
              expect(saved.chunks.length).toBe(chunks + 1);
              expect(hex(saved.chunks[chunks] as Uint8Array)).toBe(hex(encodeRgaOps(coalesce(recorded))));
              chunks++;
            } else expect(saved.chunks.length).toBe(chunks);
            recorded = [];
          }
        }
      }),
      fcParams(40, 2000),
    );
  });
});
