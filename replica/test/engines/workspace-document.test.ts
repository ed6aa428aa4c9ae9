import { DecodeError, replicaId, SeededRandom, VersionVector } from '@converge/crdt-core';
import { budget, fuzzDecoder, testSeed } from '@converge/crdt-core/testing';
import { describe, expect, it } from 'vitest';
import { WorkspaceDocument, type WorkspaceOp } from '../../src/engines/converge/workspace-document.ts';

const ids = ['a', 'b', 'c'].map(replicaId);

/** A random local change on `doc`; records the counter deltas in `sums` (the model for counters). */
function randomEdit(
  doc: WorkspaceDocument,
  random: SeededRandom,
  sums: { likes: number; stock: number },
): WorkspaceOp | null {
  const text = doc.textContent();
  switch (random.int(0, 6)) {
    case 0:
      return doc.addToCart(random.pick(['apple', 'bread', 'milk']), random.int(1, 3));
    case 1: {
      const lines = Object.keys(doc.value().cart);
      return lines.length > 0 ? doc.removeFromCart(random.pick(lines)) : null;
    }
    case 2:
      return doc.setCartQuantity(random.pick(['apple', 'bread']), random.int(0, 4));
    case 3:
      return doc.insertText(random.int(0, text.length), random.pick(['x', 'hello', 'ab', ' ']));
    case 4:
      return text.length > 0 ? doc.deleteText(random.int(0, text.length - 1), 1) : null;
    case 5: {
      const by = random.int(1, 3);
      sums.likes += by;
      return doc.addLikes(by);
    }
    default: {
      const by = random.pick([-1, 1, 2]);
      sums.stock += by;
      return doc.changeStock(by);
    }
  }
}

describe('WorkspaceDocument', () => {
  it('converges on every replica whatever the delivery order, duplicates and state transfers', () => {
    const seed = testSeed();
    for (let round = 0; round < budget(40, 1000); round++) {
      const random = new SeededRandom(seed + round);
      const docs = ids.map((id) => new WorkspaceDocument(id));
      const sums = { likes: 0, stock: 0 };
      const sent: WorkspaceOp[] = [];
      for (let step = 0; step < 40; step++) {
        const doc = random.pick(docs);
        const op = randomEdit(doc, random, sums);
        if (op) sent.push(op);
        // Now and then some operations reach some replica early, shuffled, duplicated.
        if (random.chance(0.3))
          random.pick(docs).receive(random.shuffle(sent.slice(random.int(0, sent.length))));
        if (random.chance(0.1)) {
          const [from, to] = random.shuffle(docs);
          to?.mergeState(from?.encodeState() as Uint8Array);
        }
      }
      for (const doc of docs) doc.receive(random.shuffle([...sent, ...sent]));
      const where = `seed ${seed + round}`;
      const first = docs[0]?.value();
      for (const doc of docs) {
        expect(doc.value(), where).toEqual(first);
        expect(doc.waitingCount, where).toBe(0);
      }
      expect(first?.likes, where).toBe(sums.likes);
      expect(first?.stock, where).toBe(sums.stock);
    }
  });

  it('holds operations that arrive before their causes until the causes arrive', () => {
    const a = new WorkspaceDocument(replicaId('a'));
    const b = new WorkspaceDocument(replicaId('b'));
    const first = a.insertText(0, 'Hello') as WorkspaceOp;
    const second = a.insertText(5, ' World') as WorkspaceOp;
    expect(b.receive([second])).toEqual([]);
    expect(b.waitingCount).toBe(1);
    expect(b.receive([first]).map((op) => op.counter)).toEqual([1, 2]);
    expect(b.textContent()).toBe('Hello World');
    expect(b.receive([first, second])).toEqual([]); // duplicates change nothing
  });

  it('keeps concurrent notes as siblings until a note that saw both replaces them', () => {
    const a = new WorkspaceDocument(replicaId('a'));
    const b = new WorkspaceDocument(replicaId('b'));
    const fromA = a.setNote('ship Monday');
    const fromB = b.setNote('ship Tuesday');
    a.receive([fromB]);
    b.receive([fromA]);
    expect(a.value().note).toEqual(['ship Monday', 'ship Tuesday']);
    b.receive([a.setNote('ship Wednesday')]);
    expect(b.value().note).toEqual(['ship Wednesday']);
  });

  it('answers a peer behind its log with undefined (state transfer) and one within it with operations', () => {
    const a = new WorkspaceDocument(replicaId('a'));
    a.addLikes(1);
    const restored = WorkspaceDocument.fromState(a.encodeState(), replicaId('a'));
    restored.addLikes(2);
    expect(restored.missing(VersionVector.empty)).toBeUndefined();
    expect(restored.missing(a.version())?.map((op) => op.counter)).toEqual([2]);
    expect(restored.value().likes).toBe(3);
  });

  it('rejects corrupt operations and states with DecodeError', () => {
    const seed = testSeed();
    const random = new SeededRandom(seed);
    const doc = new WorkspaceDocument(replicaId('a'));
    const ops: WorkspaceOp[] = [];
    const sums = { likes: 0, stock: 0 };
    for (let i = 0; i < 30; i++) {
      const op = randomEdit(doc, random, sums);
      if (op) ops.push(op);
    }
    fuzzDecoder(
      'WorkspaceDocument.decodeOps',
      WorkspaceDocument.decodeOps,
      [WorkspaceDocument.encodeOps(ops)],
      {
        cases: budget(1500, 50_000),
        seed,
        encode: (decoded) => WorkspaceDocument.encodeOps(decoded),
      },
    );
    fuzzDecoder(
      'WorkspaceDocument.fromState',
      (bytes) => WorkspaceDocument.fromState(bytes, replicaId('z')),
      [doc.encodeState()],
      { cases: budget(1500, 50_000), seed },
    );
    expect(() => WorkspaceDocument.decodeOps(new Uint8Array([1, 2, 3]))).toThrow(DecodeError);
  });
});
