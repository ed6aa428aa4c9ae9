// A state merge between replicas in sync answers from the two snapshots' columns (image-holds.ts)
// instead of building and applying the other's delta: checked against that per-op path, and against
// the ids and deletions each document holds, on seeded random concurrent histories.
import { Rga, type RgaOp, replicaId, SeededRandom } from '@converge/crdt-core';
import { budget, testSeed } from '@converge/crdt-core/testing';
import { describe, expect, it } from 'vitest';
import { imageHolds } from '../src/rga/image-holds.ts';
import { acyclic, Knowledge } from '../src/rga/knowledge.ts';
import { decodeSnapshot } from '../src/rga/snapshot.ts';

function edit(doc: Rga, rng: SeededRandom): void {
  if (doc.length > 0 && rng.chance(0.4)) {
    const at = rng.int(0, doc.length - 1);
    doc.delete(at, rng.int(1, Math.min(4, doc.length - at)));
  } else {
    const words = ['a', 'bc', 'def', 'ghij', 'k'];
    doc.insert(rng.int(0, doc.length), rng.pick(words));
  }
}

/** Each replica's ids (as its version) and the deleted ids: what a document holds. */
function holdings(doc: Rga): { version: Record<string, number>; deleted: Set<string> } {
  const deleted = new Set<string>();
  for (const op of doc.delta()) {
    if (op.kind !== 'tombstone') continue;
    for (let i = 0; i < op.length; i++) deleted.add(`${op.id.replica}:${op.id.counter + i}`);
  }
  return { version: doc.version(), deleted };
}

function holdsAll(receiver: Rga, other: Rga): boolean {
  const mine = holdings(receiver);
  const theirs = holdings(other);
  for (const [replica, counter] of Object.entries(theirs.version)) {
    if ((mine.version[replica] ?? 0) < counter) return false;
  }
  for (const id of theirs.deleted) if (!mine.deleted.has(id)) return false;
  return true;
}

/** Three replicas editing concurrently, now and then taking each other's ops or whole states. */
function history(rng: SeededRandom): Rga[] {
  const docs = ['ann', 'bob', 'cy'].map((name) => new Rga(replicaId(name)));
  const steps = rng.int(1, 40);
  for (let step = 0; step < steps; step++) {
    const doc = rng.pick(docs);
    if (rng.chance(0.25)) {
      const from = rng.pick(docs);
      if (from !== doc) doc.merge(Rga.decode(from.encode(), doc.replica));
    } else if (rng.chance(0.1)) {
      const from = rng.pick(docs);
      const ops: RgaOp[] = from.delta(doc.version());
      // Part of the other's ops only (those that can be placed): a replica partly in sync.
      doc.applyAll(ops.slice(0, rng.int(0, ops.length)));
    } else edit(doc, rng);
  }
  return docs;
}

describe('Rga.merge between decoded snapshots', () => {
  it('tells replicas in sync apart as the per-op path and the documents holdings do', () => {
    const seed = testSeed();
    const rng = new SeededRandom(seed);
    let holding = 0;
    let notHolding = 0;
    for (let round = 0; round < budget(60, 1500); round++) {
      const docs = history(rng);
      for (const x of docs) {
        for (const y of docs) {
          const context = `seed ${seed} round ${round} ${x.replica} <- ${y.replica}`;
          const receiver = Rga.decode(x.encode(), replicaId('merger'));
          const other = Rga.decode(y.encode(), replicaId('merger'));
          const expected = holdsAll(receiver, other);
          const image = decodeSnapshot(x.encode());
          const index = new Map(image.replicas.map((id, r) => [id as string, r]));
          expect(imageHolds(image, decodeSnapshot(y.encode()), index), context).toBe(expected);
          if (expected) holding++;
          else notHolding++;
          // The merge against the per-op path on a third copy: same answer, same document.
          const perOp = Rga.decode(x.encode(), replicaId('merger'));
          const before = perOp.encode();
          expect(perOp.applyAll(other.delta(perOp.version())), context).toEqual([]);
          const changed = receiver.merge(other);
          expect(changed, context).toBe(!expected);
          expect(receiver.toString(), context).toBe(perOp.toString());
          expect(holdsAll(receiver, perOp) && holdsAll(perOp, receiver), context).toBe(true);
          if (!changed) expect(receiver.encode(), context).toEqual(before);
        }
      }
    }
    // Both answers occur often enough to mean something.
    expect(holding, `seed ${seed}`).toBeGreaterThan(50);
    expect(notHolding, `seed ${seed}`).toBeGreaterThan(50);
  });

  it('is false when the other holds an id the receiver lacks or one it has out of order', () => {
    const a = new Rga(replicaId('ann'));
    a.insert(0, 'hello');
    const b = Rga.decode(a.encode(), replicaId('bob'));
    b.insert(5, '!');
    const index = (bytes: Uint8Array) =>
      new Map(decodeSnapshot(bytes).replicas.map((id, r) => [id as string, r]));
    expect(imageHolds(decodeSnapshot(a.encode()), decodeSnapshot(b.encode()), index(a.encode()))).toBe(false);
    expect(imageHolds(decodeSnapshot(b.encode()), decodeSnapshot(a.encode()), index(b.encode()))).toBe(true);
    b.delete(0, 1);
    expect(imageHolds(decodeSnapshot(b.encode()), decodeSnapshot(a.encode()), index(b.encode()))).toBe(true);
    expect(imageHolds(decodeSnapshot(a.encode()), decodeSnapshot(b.encode()), index(a.encode()))).toBe(false);
  });
});

describe('knowledge', () => {
  it('is acyclic when its segments could have been made one after another, not otherwise', () => {
    // Replica 0's segment from counter 3 knows replica 1 up to 2; replica 1's from counter 1 knows
    // replica 0 up to 2: fine. Knowing replica 0 up to 3 instead makes each wait for the other.
    const starts = [Float64Array.of(3), Float64Array.of(1)];
    expect(acyclic(new Knowledge(starts, [[Float64Array.of(1, 2)], [Float64Array.of(0, 2)]]))).toBe(true);
    expect(acyclic(new Knowledge(starts, [[Float64Array.of(1, 2)], [Float64Array.of(0, 3)]]))).toBe(false);
    expect(acyclic(Knowledge.none(3))).toBe(true);
  });
});
