import { DecodeError, replicaId, SeededRandom, VersionVector } from '@converge/crdt-core';
import { budget, fuzzDecoder, testSeed } from '@converge/crdt-core/testing';
import { describe, expect, it } from 'vitest';
import { WorkspaceDocument, type WorkspaceOp } from '../../src/engines/converge/workspace-document.ts';
import { defineSchema } from '../../src/schema.ts';
import { type Intent, WORKSPACE, type WorkspaceView } from '../../src/workspace.ts';

const ids = ['a', 'b', 'c'].map(replicaId);

const documentOf = (id: string) => new WorkspaceDocument(WORKSPACE, replicaId(id));
const edit = (doc: WorkspaceDocument, intent: Intent) => doc.edit(WORKSPACE.edit(intent));
const viewOf = (doc: WorkspaceDocument) => doc.value() as WorkspaceView;

/** A random local change on `doc`; records the counter deltas in `sums` (the model for counters). */
function randomEdit(
  doc: WorkspaceDocument,
  random: SeededRandom,
  sums: { likes: number; stock: number },
): WorkspaceOp | null {
  const text = doc.textContent('text');
  switch (random.int(0, 6)) {
    case 0:
      return edit(doc, {
        op: 'cart.add',
        product: random.pick(['apple', 'bread', 'milk']),
        qty: random.int(1, 3),
      });
    case 1: {
      const lines = Object.keys(viewOf(doc).cart);
      return lines.length > 0 ? edit(doc, { op: 'cart.remove', product: random.pick(lines) }) : null;
    }
    case 2:
      return edit(doc, {
        op: 'cart.setQuantity',
        product: random.pick(['apple', 'bread']),
        qty: random.int(0, 4),
      });
    case 3:
      return edit(doc, {
        op: 'text.insert',
        pos: random.int(0, text.length),
        text: random.pick(['x', 'hello', 'ab', ' ']),
      });
    case 4:
      return text.length > 0
        ? edit(doc, { op: 'text.delete', pos: random.int(0, text.length - 1), len: 1 })
        : null;
    case 5: {
      const by = random.int(1, 3);
      sums.likes += by;
      return edit(doc, { op: 'counter.increment', name: 'likes', by });
    }
    default: {
      const by = random.pick([-1, 1, 2]);
      sums.stock += by;
      return edit(doc, { op: 'counter.increment', name: 'stock', by });
    }
  }
}

describe('WorkspaceDocument', () => {
  it('converges on every replica whatever the delivery order, duplicates and state transfers', () => {
    const seed = testSeed();
    for (let round = 0; round < budget(40, 1000); round++) {
      const random = new SeededRandom(seed + round);
      const docs = ids.map((id) => new WorkspaceDocument(WORKSPACE, id));
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
      const first = viewOf(docs[0] as WorkspaceDocument);
      for (const doc of docs) {
        expect(doc.value(), where).toEqual(first);
        expect(doc.waitingCount, where).toBe(0);
      }
      expect(first.counters.likes, where).toBe(sums.likes);
      expect(first.counters.stock, where).toBe(sums.stock);
    }
  });

  it('holds operations that arrive before their causes until the causes arrive', () => {
    const a = documentOf('a');
    const b = documentOf('b');
    const first = edit(a, { op: 'text.insert', pos: 0, text: 'Hello' }) as WorkspaceOp;
    const second = edit(a, { op: 'text.insert', pos: 5, text: ' World' }) as WorkspaceOp;
    expect(b.receive([second])).toEqual([]);
    expect(b.waitingCount).toBe(1);
    expect(b.receive([first]).map((op) => op.counter)).toEqual([1, 2]);
    expect(b.textContent('text')).toBe('Hello World');
    expect(b.receive([first, second])).toEqual([]); // duplicates change nothing
  });

  it('keeps concurrent notes as siblings until a note that saw both replaces them', () => {
    const a = documentOf('a');
    const b = documentOf('b');
    const fromA = edit(a, { op: 'note.set', value: 'ship Monday' }) as WorkspaceOp;
    const fromB = edit(b, { op: 'note.set', value: 'ship Tuesday' }) as WorkspaceOp;
    a.receive([fromB]);
    b.receive([fromA]);
    expect(viewOf(a).note).toEqual(['ship Monday', 'ship Tuesday']);
    b.receive([edit(a, { op: 'note.set', value: 'ship Wednesday' }) as WorkspaceOp]);
    expect(viewOf(b).note).toEqual(['ship Wednesday']);
  });

  it('answers a peer behind its log with undefined (state transfer) and one within it with operations', () => {
    const a = documentOf('a');
    edit(a, { op: 'counter.increment', name: 'likes', by: 1 });
    const restored = WorkspaceDocument.fromState(WORKSPACE, a.encodeState(), replicaId('a'));
    edit(restored, { op: 'counter.increment', name: 'likes', by: 2 });
    expect(restored.missing(VersionVector.empty)).toBeUndefined();
    expect(restored.missing(a.version())?.map((op) => op.counter)).toEqual([2]);
    expect(viewOf(restored).counters.likes).toBe(3);
  });

  it('rejects corrupt operations and states with DecodeError', () => {
    const seed = testSeed();
    const random = new SeededRandom(seed);
    const doc = documentOf('a');
    const ops: WorkspaceOp[] = [];
    const sums = { likes: 0, stock: 0 };
    for (let i = 0; i < 30; i++) {
      const op = randomEdit(doc, random, sums);
      if (op) ops.push(op);
    }
    fuzzDecoder(
      'WorkspaceDocument.decodeOps',
      (bytes) => WorkspaceDocument.decodeOps(WORKSPACE, bytes),
      [WorkspaceDocument.encodeOps(WORKSPACE, ops)],
      {
        cases: budget(1500, 50_000),
        seed,
        encode: (decoded) => WorkspaceDocument.encodeOps(WORKSPACE, decoded),
      },
    );
    fuzzDecoder(
      'WorkspaceDocument.fromState',
      (bytes) => WorkspaceDocument.fromState(WORKSPACE, bytes, replicaId('z')),
      [doc.encodeState()],
      { cases: budget(1500, 50_000), seed },
    );
    expect(() => WorkspaceDocument.decodeOps(WORKSPACE, new Uint8Array([1, 2, 3]))).toThrow(DecodeError);
  });

  it('tags its state by field: a field added to the schema starts empty, an unknown or retyped one is refused', () => {
    const a = documentOf('a');
    edit(a, { op: 'cart.add', product: 'pen', qty: 2 });
    edit(a, { op: 'text.insert', pos: 0, text: 'kept' });
    const state = a.encodeState();
    // The same fields and one more: the state opens, the new field is empty.
    const grown = defineSchema({
      ...WORKSPACE.declarations,
      views: { kind: 'pn-counter', tag: 6, label: 'Views' },
    });
    const reopened = WorkspaceDocument.fromState(grown, state, replicaId('b'));
    expect(reopened.value()).toMatchObject({ cart: { pen: 2 }, text: 'kept', counters: { views: 0 } });
    // A schema without the note's tag, or with the cart's tag on another kind, refuses the state.
    const { note: _note, ...withoutNote } = WORKSPACE.declarations;
    expect(() => WorkspaceDocument.fromState(defineSchema(withoutNote), state, replicaId('c'))).toThrow(
      /field tag 5/,
    );
    const retyped = defineSchema({
      ...WORKSPACE.declarations,
      cart: { kind: 'counter', tag: 1, label: 'Cart' },
    });
    expect(() => WorkspaceDocument.fromState(retyped, state, replicaId('d'))).toThrow(/not as a counter/);
  });
});
