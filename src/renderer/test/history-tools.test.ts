import { applyTextEdit, ENGINES, type Intent, WORKSPACE, type WorkspaceView } from '@converge/replica';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HistoryLog, MAX_HISTORY_ENTRIES } from '../logic/history-log.ts';
import { restoreEdits } from '../logic/restore-edits.ts';
import { undoEffects } from '../logic/undo-effects.ts';

const view = (over: Partial<Record<string, unknown>> = {}): WorkspaceView =>
  ({ ...WORKSPACE.empty(), ...over }) as WorkspaceView;

describe('history log', () => {
  it('makes one entry per burst, with its authors and edits, and keeps the newest', () => {
    const log = new HistoryLog('me');
    expect(log.settle(1, {})).toBe(false);
    log.local('text.insert');
    log.local('text.insert');
    log.remote('b');
    expect(log.settle(2, { converge: view({ text: 'x' }) })).toBe(true);
    log.remote(undefined);
    log.settle(3, {});
    expect(log.entries().map((e) => [e.seq, e.authors, e.edit, e.local])).toEqual([
      [1, ['b', 'me'], 'text.insert, synced', true],
      [2, [], 'synced', false],
    ]);
    for (let i = 0; i < MAX_HISTORY_ENTRIES + 5; i++) {
      log.local('undo');
      log.settle(10 + i, {});
    }
    expect(log.entries()).toHaveLength(MAX_HISTORY_ENTRIES);
    expect(log.entries()[0]?.seq).toBe(8);
  });
});

describe('restoring a version', () => {
  it('is a set of new edits that take every field back, saying what it cannot', () => {
    const now = view({
      text: 'hello big world',
      cart: { pen: 2, ink: 1 },
      counters: { likes: 3, stock: 1 },
      note: ['b'],
    });
    const then = view({
      text: 'hello world!',
      cart: { pen: 5 },
      counters: { likes: 1, stock: 4 },
      note: ['a'],
    });
    const plan = restoreEdits(WORKSPACE, now, then);
    expect(plan.intents).toEqual([
      { op: 'text.insert', pos: 15, text: '!' },
      { op: 'text.delete', pos: 6, len: 4 },
      { op: 'cart.remove', product: 'ink' },
      { op: 'cart.setQuantity', product: 'pen', qty: 5 },
      { op: 'counter.increment', name: 'stock', by: 3 },
      { op: 'note.set', value: 'a' },
    ]);
    expect(plan.unrestorable).toEqual(['Likes only grows: it stays at its current value']);
    expect(restoreEdits(WORKSPACE, now, now).intents).toEqual([]);
  });

  it('property: the text edits turn the current text into the earlier one', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }), (a, b) => {
        let text = a;
        for (const intent of restoreEdits(WORKSPACE, view({ text: a }), view({ text: b })).intents) {
          const edit = WORKSPACE.edit(intent as Intent);
          if (edit.kind === 'text') text = applyTextEdit(text, edit);
        }
        expect(text).toBe(b);
      }),
    );
  });
});

describe('undo effects', () => {
  it('lists what an undo changed per engine and marks where engines differ', () => {
    const before = {
      converge: view({ text: 'ab', counters: { likes: 1, stock: 0 } }),
      yjs: view({ text: 'ab', counters: { likes: 1, stock: 0 } }),
    };
    const after = {
      converge: view({ text: 'a', counters: { likes: 1, stock: 0 } }),
      yjs: view({ text: 'a', counters: { likes: 0, stock: 0 } }),
    };
    const effects = undoEffects(WORKSPACE, 'undo', ENGINES.only(['converge', 'yjs']).names, before, after);
    expect(effects.rows).toEqual([
      { path: 'counters/likes', byEngine: { yjs: { before: '1', after: '0' } }, differs: true },
      {
        path: 'text',
        byEngine: { converge: { before: '"ab"', after: '"a"' }, yjs: { before: '"ab"', after: '"a"' } },
        differs: false,
      },
    ]);
  });
});
