import { describe, expect, it } from 'vitest';
import {
  catchUp,
  mergeTextReversals,
  pointThrough,
  spansThrough,
  type TextReversal,
} from '../src/undo/text-reversal.ts';

describe('text reversals follow the text', () => {
  it('spans lose what was deleted of them and split around text typed inside', () => {
    expect(spansThrough([{ from: 2, to: 6 }], { pos: 0, del: 0, text: 'ab' })).toEqual([{ from: 4, to: 8 }]);
    expect(spansThrough([{ from: 2, to: 6 }], { pos: 6, del: 0, text: 'ab' })).toEqual([{ from: 2, to: 6 }]);
    expect(spansThrough([{ from: 2, to: 6 }], { pos: 4, del: 0, text: 'XY' })).toEqual([
      { from: 2, to: 4 },
      { from: 6, to: 8 },
    ]);
    expect(spansThrough([{ from: 2, to: 6 }], { pos: 1, del: 3, text: '' })).toEqual([{ from: 1, to: 3 }]);
    expect(spansThrough([{ from: 2, to: 6 }], { pos: 0, del: 10, text: 'z' })).toEqual([]);
  });

  it('a point keeps to the side of a deleted stretch it stood on', () => {
    // Right of deleted text: text typed back there comes before it.
    const right = pointThrough({ at: 5, after: false }, { pos: 0, del: 5, text: '' });
    expect(right).toEqual({ at: 0, after: true });
    expect(pointThrough(right, { pos: 0, del: 0, text: 'hello' })).toEqual({ at: 5, after: true });
    // Left of it: text typed there comes after it.
    const left = pointThrough({ at: 0, after: false }, { pos: 0, del: 5, text: '' });
    expect(pointThrough(left, { pos: 0, del: 0, text: 'hello' })).toEqual({ at: 0, after: false });
  });

  it('an undo and the delta it reverted cancel out when everything between them does', () => {
    const point: TextReversal = { kind: 'un-delete', field: 'text', at: 1, after: false, text: 'b', seq: 10 };
    // 10: a deletes [1,2); 11: a deletes [0,1); 12: re-inserts at 0 (undoes 11); 13: re-inserts at 1 (undoes 10).
    catchUp(
      point,
      [
        { pos: 1, del: 1, text: '' },
        { pos: 0, del: 1, text: '' },
        { pos: 0, del: 0, text: 'a', undoes: 11 },
        { pos: 1, del: 0, text: 'a', undoes: 10 },
      ],
      14,
    );
    expect(point).toMatchObject({ at: 1, seq: 14 });
    // Not the delta it says it undoes (a remote edit came between): followed one by one.
    const other: TextReversal = { kind: 'un-delete', field: 'text', at: 1, after: false, text: 'b', seq: 0 };
    catchUp(
      other,
      [
        { pos: 0, del: 1, text: '' },
        { pos: 0, del: 0, text: 'Z' },
        { pos: 0, del: 0, text: 'a', undoes: 0 },
      ],
      3,
    );
    expect(other.at).toBe(2);
  });

  it('typing runs, backspace and the delete key merge into one reversal', () => {
    const typed = (from: number, to: number, seq: number): TextReversal => ({
      kind: 'un-insert',
      field: 'text',
      spans: [{ from, to }],
      seq,
    });
    expect(mergeTextReversals(typed(0, 3, 1), typed(3, 4, 2))).toMatchObject({ spans: [{ from: 0, to: 4 }] });
    expect(mergeTextReversals(typed(0, 3, 1), typed(1, 2, 2))).toBeUndefined();
    const erased = (at: number, text: string): TextReversal => ({
      kind: 'un-delete',
      field: 'text',
      at,
      after: false,
      text,
      seq: 1,
    });
    expect(mergeTextReversals(erased(5, 'c'), erased(4, 'b'))).toMatchObject({ at: 4, text: 'bc' });
    expect(mergeTextReversals(erased(5, 'c'), erased(5, 'd'))).toMatchObject({ at: 5, text: 'cd' });
    expect(mergeTextReversals(erased(5, 'c'), erased(1, 'd'))).toBeUndefined();
  });
});
