// Randomized convergence tests: 2–5 replicas edit concurrently, exchange ops in random orders with
// duplicates and delays (and sometimes delta sync), then must agree; no edit reorders text that
// already existed. Every run is driven by one seed that fast-check prints on failure.
import { decodeRgaOps, encodeRgaOps, Rga, type RgaOp, replicaId, SeededRandom } from '@converge/crdt-core';
import { budget, fcParams } from '@converge/crdt-core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSnapshot } from '../src/rga/snapshot.ts';

interface Peer {
  doc: Rga;
  /** Every op this peer has produced or accepted, as bytes (what it could forward). */
  known: Uint8Array[];
  /** Ops received but waiting for their dependencies. */
  waiting: RgaOp[];
}

/** Characters are unique across a run, so the final text shows where each insert ended up. */
class UniqueText {
  private next = 0x4e00;
  take(length: number): string {
    let text = '';
    for (let i = 0; i < length; i++) text += String.fromCharCode(this.next++);
    return text;
  }
}

function deliver(peer: Peer, updates: readonly Uint8Array[]): void {
  for (const bytes of updates) peer.waiting.push(...decodeRgaOps(bytes));
  const before = peer.waiting.length;
  peer.waiting = peer.doc.applyAll(peer.waiting);
  if (peer.waiting.length !== before) peer.known.push(...updates);
}

/** Positions of each character of `text` (characters are unique). */
function positions(text: string): Map<string, number> {
  const map = new Map<string, number>();
  for (let i = 0; i < text.length; i++) map.set(text[i] as string, i);
  return map;
}

/** Characters present in both texts must be in the same order in both. */
function expectSameRelativeOrder(before: string, after: string, context: string): void {
  const at = positions(after);
  let last = -1;
  for (const ch of before) {
    const position = at.get(ch);
    if (position === undefined) continue;
    if (position < last) throw new Error(`${context}: text present before the merge was reordered`);
    last = position;
  }
}

/** Every character's id, origins and state in `ops`, whatever runs they come in, sorted. */
function charOrigins(ops: readonly RgaOp[]): string[] {
  const out: string[] = [];
  for (const op of ops) {
    if (op.kind === 'delete') {
      for (const range of op.ranges) {
        for (let k = 0; k < range.length; k++) out.push(`delete ${range.replica}:${range.counter + k}`);
      }
      continue;
    }
    const length = op.kind === 'insert' ? op.text.length : op.length;
    for (let k = 0; k < length; k++) {
      const { replica, counter } = op.id;
      const left = k === 0 ? op.left : { replica, counter: counter + k - 1 };
      const state = op.kind === 'insert' ? (op.text[k] as string) : 'deleted';
      out.push(`${replica}:${counter + k} ${JSON.stringify([left, op.right])} ${state}`);
    }
  }
  return out.sort();
}

function runScenario(seed: number, replicaCount: number, steps: number): void {
  const rng = new SeededRandom(seed);
  const unique = new UniqueText();
  const peers: Peer[] = [];
  for (let r = 0; r < replicaCount; r++) {
    peers.push({ doc: new Rga(replicaId(`r${r}-${rng.int(0, 9)}`)), known: [], waiting: [] });
  }
  const all: Uint8Array[] = [];
  for (let step = 0; step < steps; step++) {
    const peer = rng.pick(peers);
    const doc = peer.doc;
    const roll = rng.next();
    if (roll < 0.45 || doc.length === 0) {
      // Local insert, checked against a plain string model.
      const index = rng.int(0, doc.length);
      const text = unique.take(rng.chance(0.8) ? 1 : rng.int(2, 6));
      const expected = doc.toString().slice(0, index) + text + doc.toString().slice(index);
      const bytes = encodeRgaOps([doc.insert(index, text) as RgaOp]);
      expect(doc.toString(), `seed ${seed}`).toBe(expected);
      peer.known.push(bytes);
      all.push(bytes);
    } else if (roll < 0.65) {
      const index = rng.int(0, doc.length - 1);
      const length = rng.int(1, Math.min(4, doc.length - index));
      const expected = doc.toString().slice(0, index) + doc.toString().slice(index + length);
      const bytes = encodeRgaOps([doc.delete(index, length) as RgaOp]);
      expect(doc.toString(), `seed ${seed}`).toBe(expected);
      peer.known.push(bytes);
      all.push(bytes);
    } else if (roll < 0.92) {
      // Forward a random sample of what another peer knows, shuffled, with duplicates.
      const from = rng.pick(peers);
      if (from === peer || from.known.length === 0) continue;
      const sample: Uint8Array[] = [];
      for (let k = rng.int(1, 6); k > 0; k--) sample.push(rng.pick(from.known));
      const before = doc.toString();
      deliver(peer, rng.shuffle(sample));
      expectSameRelativeOrder(before, doc.toString(), `seed ${seed} step ${step}`);
    } else {
      // Delta sync from another peer, driven by this peer's version.
      const from = rng.pick(peers);
      if (from === peer) continue;
      const before = doc.toString();
      const bytes = encodeRgaOps(from.doc.delta(doc.version()));
      deliver(peer, [bytes]);
      // The delta applies completely: this peer now has everything `from` had.
      const version = doc.version();
      for (const [id, counter] of Object.entries(from.doc.version())) {
        expect(version[id] ?? 0, `seed ${seed}: delta left ${id} behind`).toBeGreaterThanOrEqual(counter);
      }
      expectSameRelativeOrder(before, doc.toString(), `seed ${seed} step ${step}`);
    }
  }
  // Final exchange: everyone gets everything, shuffled, some twice.
  const finals = peers.map((peer) => {
    const before = peer.doc.toString();
    const everything = rng.shuffle([...all, ...all.filter(() => rng.chance(0.3))]);
    deliver(peer, everything);
    expect(peer.waiting, `seed ${seed}: ops left waiting`).toEqual([]);
    expectSameRelativeOrder(before, peer.doc.toString(), `seed ${seed} final merge`);
    peer.doc.assertInvariants();
    return peer.doc.toString();
  });
  expect(new Set(finals).size, `seed ${seed}: replicas diverged`).toBe(1);
  const reference = peers[0]?.doc as Rga;
  for (const peer of peers) expect(peer.doc.version(), `seed ${seed}`).toEqual(reference.version());
  // Snapshots and deltas reproduce the same document. Every insert was made between neighbours, so
  // the snapshot stores none of their origins: document order and knowledge give them all.
  const snapshot = reference.encode();
  // Canonical bytes: replicas that reached the same state by different deliveries write the same.
  for (const peer of peers) expect(peer.doc.encode(), `seed ${seed}`).toEqual(snapshot);
  expect(decodeSnapshot(snapshot).exceptions, `seed ${seed}`).toHaveLength(0);
  const copy = Rga.decode(snapshot, replicaId('copy'));
  expect(copy.toString(), `seed ${seed}`).toBe(finals[0]);
  expect(copy.encode(), `seed ${seed}`).toEqual(snapshot);
  expect(charOrigins(copy.delta()), `seed ${seed}`).toEqual(charOrigins(reference.delta()));
  // A decoded document answers deltas from its snapshot's columns, before building its tree: the
  // same operations, in the same order, as once it is built.
  const partial = Object.fromEntries(Object.entries(reference.version()).map(([id, n]) => [id, n >> 1]));
  const lazy = Rga.decode(snapshot, replicaId('lazy'));
  const lazyDelta = lazy.delta(partial);
  lazy.assertInvariants(); // builds the tree
  expect(lazyDelta, `seed ${seed}`).toEqual(lazy.delta(partial));
  // A decoded document not built yet answers deletes from its columns: those a replica in sync sends
  // (every deleted id) change nothing; any other changes it as it changes a built document.
  const inSync = reference.delta(reference.version());
  const unbuilt = Rga.decode(snapshot, replicaId('unbuilt'));
  for (const op of inSync) expect(unbuilt.apply(op), `seed ${seed}`).toBe('duplicate');
  expect(unbuilt.toString(), `seed ${seed}`).toBe(finals[0]);
  const version = Object.entries(reference.version());
  const [someReplica, itsMax] = version[rng.int(0, version.length - 1)] as [string, number];
  const from = rng.int(1, itsMax);
  const someIds = {
    replica: replicaId(someReplica),
    counter: from,
    length: rng.int(1, Math.min(6, itsMax - from + 1)),
  };
  const deleted = inSync.flatMap((op) => (op.kind === 'delete' ? op.ranges : []));
  const mixed: RgaOp = { kind: 'delete', ranges: [...deleted, someIds] };
  const built = Rga.decode(snapshot, replicaId('built'));
  built.assertInvariants();
  const notBuilt = Rga.decode(snapshot, replicaId('not-built'));
  expect(notBuilt.apply(mixed), `seed ${seed}`).toBe(built.apply(mixed));
  expect(notBuilt.toString(), `seed ${seed}`).toBe(built.toString());
  notBuilt.assertInvariants();
  copy.assertInvariants();
  const fresh = new Rga(replicaId('fresh'));
  expect(fresh.applyAll(reference.delta()), `seed ${seed}`).toEqual([]);
  expect(fresh.toString(), `seed ${seed}`).toBe(finals[0]);
  // The copy keeps merging correctly: concurrent edits on it and on a peer converge.
  const opA = copy.insert(rng.int(0, copy.length), unique.take(3)) as RgaOp;
  const opB = reference.insert(rng.int(0, reference.length), unique.take(3)) as RgaOp;
  copy.apply(opB);
  reference.apply(opA);
  expect(copy.toString(), `seed ${seed}`).toBe(reference.toString());
  copy.assertInvariants();
}

describe('Rga converges under random concurrent editing', () => {
  it('2–5 replicas, random delivery orders with duplicates, converge and keep existing order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 2, max: 5 }),
        fc.integer({ min: 5, max: 150 }),
        (seed, replicas, steps) => runScenario(seed, replicas, steps),
      ),
      fcParams(budget(100, 2000), budget(100, 2000)),
    );
  });

  it('long sessions with many runs and leaf splits stay consistent', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => runScenario(seed, 3, 1500)),
      fcParams(budget(3, 40), budget(3, 40)),
    );
  });

  it('documents edited only locally, reopened by other replicas, write the origins a derivation would', () => {
    // Such documents skip the derivation when encoding (no exception can arise); a copy built by
    // applying their ops derives every origin, and both must write the same bytes.
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 10, max: 300 }),
        (seed, steps) => {
          const rng = new SeededRandom(seed);
          const unique = new UniqueText();
          const ids = ['a', 'b', 'c'].map((id) => replicaId(id));
          let doc = new Rga(ids[0] as (typeof ids)[number]);
          const inserted: { replica: (typeof ids)[number]; counter: number }[] = [];
          const check = (context: string): void => {
            const bytes = doc.encode();
            const copy = new Rga(replicaId('copy'));
            expect(copy.applyAll(doc.delta()), context).toEqual([]);
            expect(copy.encode(), context).toEqual(bytes);
            const reopened = Rga.decode(bytes, replicaId('reopened'));
            expect(charOrigins(reopened.delta()), context).toEqual(charOrigins(doc.delta()));
          };
          for (let step = 0; step < steps; step++) {
            const roll = rng.next();
            if (roll < 0.6 || doc.length === 0) {
              // Typing, often on from the last insert.
              const op = doc.insert(rng.int(0, doc.length), unique.take(rng.int(1, 4)));
              if (op !== null) inserted.push(op.id);
            } else if (roll < 0.8) {
              const at = rng.int(0, doc.length - 1);
              doc.delete(at, rng.int(1, Math.min(4, doc.length - at)));
            } else if (roll < 0.9 && inserted.length > 0) {
              const before = doc.insertBefore(rng.pick(inserted), unique.take(rng.int(1, 3)));
              if (before !== null) inserted.push(before.op.id);
            } else if (roll < 0.96) {
              check(`seed ${seed} step ${step}`);
              doc = Rga.decode(doc.encode(), rng.pick(ids));
            }
          }
          check(`seed ${seed} end`);
        },
      ),
      fcParams(budget(60, 1000), budget(60, 1000)),
    );
  });

  it('words typed concurrently at the same spot never interleave', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 2, max: 4 }), (seed, count) => {
        const rng = new SeededRandom(seed);
        const unique = new UniqueText();
        const base = new Rga(replicaId('base'));
        const setup = base.insert(0, unique.take(rng.int(0, 6))) ?? null;
        const spot = rng.int(0, base.length);
        const ops: RgaOp[] = [];
        const words: string[] = [];
        for (let r = 0; r < count; r++) {
          const doc = new Rga(replicaId(`w${r}`));
          if (setup !== null) doc.apply(setup);
          const word = unique.take(rng.int(2, 6));
          words.push(word);
          if (rng.chance(0.5)) {
            for (let i = 0; i < word.length; i++) ops.push(doc.insert(spot + i, word[i] as string) as RgaOp);
          } else {
            for (let i = word.length - 1; i >= 0; i--) ops.push(doc.insert(spot, word[i] as string) as RgaOp);
          }
        }
        const merged = new Rga(replicaId('merged'));
        if (setup !== null) merged.apply(setup);
        expect(merged.applyAll(rng.shuffle(ops)), `seed ${seed}`).toEqual([]);
        for (const word of words) expect(merged.toString(), `seed ${seed}`).toContain(word);
      }),
      fcParams(budget(100, 2000), budget(100, 2000)),
    );
  });
});
