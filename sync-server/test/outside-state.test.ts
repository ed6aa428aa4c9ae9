// The translation between an outside document's state and the workspace's intents (pure).
import { fcParams } from '@converge/crdt-core/testing';
import { applyTextEdit, type TextEdit, WORKSPACE, type WorkspaceView } from '@converge/replica';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { intentsBetween, outsideStateOf } from '../src/interop/outside-state.ts';

const state = (entries: Record<string, string | number>) => new Map(Object.entries(entries));

describe('intentsBetween', () => {
  it('turns a text change into inserts and deletes that rebuild the new text, in order', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme-ascii' }),
        fc.string({ unit: 'grapheme-ascii' }),
        (before, after) => {
          const { intents, problems } = intentsBetween(
            WORKSPACE,
            state({ text: before }),
            state({ text: after }),
          );
          expect(problems).toEqual([]);
          let text = before;
          for (const intent of intents) text = applyTextEdit(text, WORKSPACE.edit(intent) as TextEdit);
          expect(text).toBe(after);
        },
      ),
      fcParams(),
    );
  });

  it('sets, counts and removes cart lines', () => {
    const before = state({ 'cart/apple': 2, 'cart/pear': 1, 'cart/fig': 5 });
    const after = state({ 'cart/apple': 4, 'cart/fig': 3, 'cart/kiwi': 1 });
    const { intents } = intentsBetween(WORKSPACE, before, after, new Set(['cart/fig']));
    expect(intents).toEqual([
      { op: 'cart.setQuantity', product: 'apple', qty: 4 },
      { op: 'cart.decrement', product: 'fig', qty: 2 },
      { op: 'cart.setQuantity', product: 'kiwi', qty: 1 },
      { op: 'cart.remove', product: 'pear' },
    ]);
  });

  it('turns a new counter total into an increment by the difference, and sets a register', () => {
    const { intents } = intentsBetween(
      WORKSPACE,
      state({ 'counters/likes': 2, 'counters/stock': 5 }),
      state({ 'counters/likes': 7, 'counters/stock': 1, note: 'hi' }),
    );
    expect(intents).toEqual([
      { op: 'counter.increment', name: 'likes', by: 5 },
      { op: 'counter.increment', name: 'stock', by: -4 },
      { op: 'note.set', value: 'hi' },
    ]);
  });

  it('reports what the workspace cannot carry instead of dropping it silently', () => {
    const { intents, problems } = intentsBetween(
      WORKSPACE,
      state({ 'counters/likes': 3, note: 'x' }),
      state({
        'counters/likes': 1,
        'counters/views': 4,
        'cart/apple': 'lots',
        'cart/pear': 1.5,
        wishlist: 'y',
      }),
    );
    expect(intents).toEqual([]);
    expect(problems.map((p) => p.path)).toEqual([
      'cart/apple',
      'cart/pear',
      'counters/likes',
      'counters/views',
      'note',
      'wishlist',
    ]);
    expect(problems.find((p) => p.path === 'counters/likes')?.problem).toMatch(/only grows/);
  });
});

describe('outsideStateOf', () => {
  it("is a view's values by path, a register showing its first sibling", () => {
    const view: WorkspaceView = {
      text: 'hi',
      cart: { apple: 2 },
      counters: { likes: 1, stock: -1 },
      note: ['a', 'b'],
    };
    expect([...outsideStateOf(WORKSPACE, view)]).toEqual([
      ['cart/apple', 2],
      ['text', 'hi'],
      ['counters/likes', 1],
      ['counters/stock', -1],
      ['note', 'a'],
    ]);
    expect(
      intentsBetween(WORKSPACE, outsideStateOf(WORKSPACE, view), outsideStateOf(WORKSPACE, view)).intents,
    ).toEqual([]);
  });
});
