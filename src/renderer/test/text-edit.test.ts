import { fcParams } from '@converge/crdt-core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyTextChange, changeToEdits, diffTextChange } from '../logic/text-edit.ts';

describe('diffTextChange', () => {
  it('finds typing, backspace and forward delete where repeated characters make them ambiguous', () => {
    // Typing "a" into "aa" after the first character: the caret says where.
    expect(diffTextChange('aa', 'aaa', 2)).toEqual({ pos: 1, deleted: 0, inserted: 'a' });
    expect(diffTextChange('aa', 'aaa', 1)).toEqual({ pos: 0, deleted: 0, inserted: 'a' });
    expect(diffTextChange('aa', 'aaa', 3)).toEqual({ pos: 2, deleted: 0, inserted: 'a' });
    // Backspace at the end and in the middle.
    expect(diffTextChange('aa', 'a', 1)).toEqual({ pos: 1, deleted: 1, inserted: '' });
    expect(diffTextChange('aa', 'a', 0)).toEqual({ pos: 0, deleted: 1, inserted: '' });
  });

  it('replaces a selection and handles paste over it', () => {
    expect(diffTextChange('hello world', 'hello there', 11)).toEqual({
      pos: 6,
      deleted: 5,
      inserted: 'there',
    });
    expect(diffTextChange('abc', 'aXYc', 3)).toEqual({ pos: 1, deleted: 1, inserted: 'XY' });
  });

  it('returns undefined when nothing changed', () => {
    expect(diffTextChange('same', 'same', 2)).toBeUndefined();
  });

  it('never splits a surrogate pair', () => {
    // 😀 → 😃 share the high surrogate; the change must cover the whole pair.
    const change = diffTextChange('x😀y', 'x😃y', 3);
    expect(change).toEqual({ pos: 1, deleted: 2, inserted: '😃' });
    const low = diffTextChange('\u{1F600}', '\u{1F300}', 2);
    expect(low?.pos).toBe(0);
    expect(low?.deleted).toBe(2);
  });

  it('turns a change into delete-then-insert edits of its field', () => {
    expect(changeToEdits('text', { pos: 2, deleted: 3, inserted: 'xy' })).toEqual([
      { kind: 'text', field: 'text', action: 'delete', pos: 2, len: 3 },
      { kind: 'text', field: 'text', action: 'insert', pos: 2, text: 'xy' },
    ]);
    expect(changeToEdits('summary', { pos: 0, deleted: 0, inserted: 'a' })).toEqual([
      { kind: 'text', field: 'summary', action: 'insert', pos: 0, text: 'a' },
    ]);
  });

  it('recovers any single edit exactly, at the caret the browser reports (property)', () => {
    // Whole code points, so edits never split a surrogate pair (a textarea cannot either).
    const text = fc.array(fc.constantFrom('a', 'b', ' ', 'é', '😀'), { maxLength: 30 });
    fc.assert(
      fc.property(text, fc.nat(), fc.nat(), text, (chars, at, len, insertedChars) => {
        const point = at % (chars.length + 1);
        const before = chars.join('');
        const pos = chars.slice(0, point).join('').length;
        const deleted = chars.slice(point, point + (len % 5)).join('').length;
        const inserted = insertedChars.join('');
        const after = before.slice(0, pos) + inserted + before.slice(pos + deleted);
        const caret = pos + inserted.length;
        const change = diffTextChange(before, after, caret);
        if (before === after) {
          expect(change).toBeUndefined();
          return;
        }
        expect(change).toBeDefined();
        if (change === undefined) return;
        expect(applyTextChange(before, change)).toBe(after);
        // The same edit or a smaller one inside it, ending at the caret.
        expect(change.pos).toBeGreaterThanOrEqual(pos);
        expect(change.deleted).toBeLessThanOrEqual(deleted);
        expect(change.pos + change.inserted.length).toBe(caret);
      }),
      fcParams(300, 20_000),
    );
  });
});
