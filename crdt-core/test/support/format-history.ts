// The edit histories the format fixtures (test/fixtures/) were written from. They use only the public
// API every format version had, and take the library as a parameter, so the same code, run against an
// old version's encoder (see test/fixtures/README.md), wrote each fixture, and, run against the
// current library, builds the documents and operations the fixtures must open into.
import type * as Core from '../../src/index.ts';

type Library = Pick<typeof Core, 'Rga' | 'SeededRandom' | 'replicaId'>;
type Rga = InstanceType<Library['Rga']>;
type RgaOp = Core.RgaOp;

export interface FormatHistory {
  /** Documents by name, in their final state. */
  readonly docs: readonly { readonly name: string; readonly doc: Rga }[];
  /** Batches of operations as the editing replicas produced them, in the order they were made. */
  readonly batches: readonly (readonly RgaOp[])[];
}

/** Build the histories with `lib` (deterministic: seeded, no clocks). */
export function formatHistory(lib: Library): FormatHistory {
  const { Rga, SeededRandom, replicaId } = lib;
  const batches: RgaOp[][] = [];
  const keep = <T extends RgaOp | null>(op: T): T => {
    if (op !== null) batches.push([op]);
    return op;
  };

  // One replica typing: on, backspace, type again, move, paste, replace, delete a selection, type at
  // both ends, non-ASCII text and a surrogate pair split by an insert.
  const typist = new Rga(replicaId('typist'));
  for (const ch of 'Hello world') keep(typist.insert(typist.length, ch));
  keep(typist.delete(10, 1));
  keep(typist.delete(9, 1));
  for (const ch of 'rd!') keep(typist.insert(typist.length, ch));
  keep(typist.insert(5, ','));
  keep(typist.insert(0, '> '));
  keep(typist.insert(typist.length, ' — fin 😀'));
  keep(typist.insert(typist.length - 1, 'x'));
  const replaced = [typist.delete(2, 5), typist.insert(2, 'Howdy')].filter((op) => op !== null);
  batches.push(replaced as RgaOp[]);
  keep(typist.delete(8, 3));
  for (const ch of 'éß∑') keep(typist.insert(8, ch));

  // Two replicas editing concurrently and merging by delta, then seeded random edits on both.
  const alice = new Rga(replicaId('alice'));
  const bob = new Rga(replicaId('bob'));
  keep(alice.insert(0, 'shared text here'));
  bob.applyAll(alice.delta());
  keep(bob.insert(7, 'BOB '));
  keep(alice.insert(7, 'ALICE '));
  keep(alice.delete(0, 2));
  keep(bob.delete(12, 4));
  const rng = new SeededRandom(2024);
  for (let round = 0; round < 6; round++) {
    for (let i = 0; i < 25; i++) {
      const doc = rng.chance(0.5) ? alice : bob;
      if (doc.length < 4 || rng.chance(0.65)) {
        keep(doc.insert(rng.int(0, doc.length), rng.pick(['a', 'bc', 'é', '∑', 'xyz', '\n', '😀'])));
      } else keep(doc.delete(rng.int(0, doc.length - 3), rng.int(1, 3)));
    }
    alice.applyAll(bob.delta(alice.version()));
    if (round % 2 === 0) bob.applyAll(alice.delta(bob.version()));
  }
  batches.push(alice.delta({ alice: 4 }));
  batches.push(bob.delta());

  // Deleted to the end: only tombstones left.
  const gone = new Rga(replicaId('gone'));
  keep(gone.insert(0, 'vanishing'));
  keep(gone.delete(0, 9));

  return {
    docs: [
      { name: 'typist', doc: typist },
      { name: 'alice', doc: alice },
      { name: 'bob', doc: bob },
      { name: 'gone', doc: gone },
      { name: 'empty', doc: new Rga(replicaId('nobody')) },
    ],
    batches,
  };
}
