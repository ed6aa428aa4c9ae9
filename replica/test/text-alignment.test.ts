import { SeededRandom } from '@converge/crdt-core';
import { budget, testSeed } from '@converge/crdt-core/testing';
import { describe, expect, it } from 'vitest';
import { checkTextEdit, IntentError, type TextEdit } from '../src/schema.ts';
import { alignTextEdit } from '../src/text-alignment.ts';

function applyEdits(text: string, edits: readonly TextEdit[]): string {
  let out = text;
  for (const edit of edits) {
    out =
      edit.action === 'insert'
        ? out.slice(0, edit.pos) + edit.text + out.slice(edit.pos)
        : out.slice(0, edit.pos) + out.slice(edit.pos + edit.len);
  }
  return out;
}

describe('alignTextEdit', () => {
  it('passes the edit through when the texts are equal', () => {
    const edit: TextEdit = { kind: 'text', field: 'text', action: 'insert', pos: 3, text: 'x' };
    expect(alignTextEdit('hello', 'hello', edit)).toEqual([edit]);
  });

  it('places an insertion after the same left context when the target has extra text before it', () => {
    // The target holds a concurrent insertion "big " the source lacks.
    const source = 'the cat sat';
    const target = 'the big cat sat';
    const [edit] = alignTextEdit(source, target, {
      kind: 'text',
      field: 'text',
      action: 'insert',
      pos: 7,
      text: ' quietly',
    });
    expect(applyEdits(target, edit ? [edit] : [])).toBe('the big cat quietly sat');
  });

  it('places an insertion at the spot of source-only text the target lacks', () => {
    const source = 'abXYcd';
    const target = 'abcd';
    expect(
      applyEdits(
        target,
        alignTextEdit(source, target, { kind: 'text', field: 'text', action: 'insert', pos: 3, text: '!' }),
      ),
    ).toBe('ab!cd');
  });

  it('puts an insertion before target-only text at the same spot (left-origin rule), including at 0', () => {
    expect(
      alignTextEdit('abcd', 'abYYcd', { kind: 'text', field: 'text', action: 'insert', pos: 2, text: '-' }),
    ).toEqual([{ kind: 'text', field: 'text', action: 'insert', pos: 2, text: '-' }]);
    expect(
      alignTextEdit('cd', 'YYcd', { kind: 'text', field: 'text', action: 'insert', pos: 0, text: '-' }),
    ).toEqual([{ kind: 'text', field: 'text', action: 'insert', pos: 0, text: '-' }]);
    expect(
      alignTextEdit('ab', 'abYY', { kind: 'text', field: 'text', action: 'insert', pos: 2, text: '-' }),
    ).toEqual([{ kind: 'text', field: 'text', action: 'insert', pos: 2, text: '-' }]);
  });

  it('deletes only the shared characters of the range, in several back-to-front ranges if needed', () => {
    const source = 'one two three';
    const target = 'one TWO! two three';
    // Delete "e two t" in the source: the target's own "TWO! " inside the span survives.
    const edits = alignTextEdit(source, target, {
      kind: 'text',
      field: 'text',
      action: 'delete',
      pos: 2,
      len: 7,
    });
    expect(applyEdits(target, edits)).toBe('onTWO! hree');
    expect(edits.every((e, i) => i === 0 || e.pos < (edits[i - 1] as TextEdit).pos)).toBe(true);
  });

  it('deletes nothing when the range holds only source-only characters', () => {
    expect(
      alignTextEdit('abXYcd', 'abcd', { kind: 'text', field: 'text', action: 'delete', pos: 2, len: 2 }),
    ).toEqual([]);
  });

  it('on random diverged texts: insertions keep their left and right context, deletions remove exactly the shared characters', () => {
    const seed = testSeed();
    const random = new SeededRandom(seed);
    // Every character is unique, so a character is its own identity and "shared" is well defined.
    let next = 0x4e00;
    const fresh = (n: number): string =>
      Array.from({ length: n }, () => String.fromCharCode(next++)).join('');
    const diverge = (text: string): string => {
      let out = text;
      for (let k = random.int(0, 4); k > 0; k--) {
        const pos = random.int(0, out.length);
        out = random.chance(0.5)
          ? out.slice(0, pos) + fresh(random.int(1, 3)) + out.slice(pos)
          : out.slice(0, pos) + out.slice(pos + random.int(1, 3));
      }
      return out;
    };
    for (let run = 0; run < budget(300, 5000); run++) {
      next = 0x4e00; // unique within a run, and far from the surrogate range
      const base = fresh(random.int(0, 20));
      const source = diverge(base);
      const target = diverge(base);
      const context = `seed ${seed} run ${run}: ${JSON.stringify(source)} → ${JSON.stringify(target)}`;
      const shared = new Set([...source].filter((ch) => target.includes(ch)));

      const pos = random.int(0, source.length);
      const insert = alignTextEdit(source, target, {
        kind: 'text',
        field: 'text',
        action: 'insert',
        pos,
        text: '#',
      });
      expect(insert, context).toHaveLength(1);
      const inserted = applyEdits(target, insert);
      const at = inserted.indexOf('#');
      expect(inserted.replace('#', ''), context).toBe(target);
      for (const ch of source.slice(0, pos))
        if (shared.has(ch)) expect(inserted.indexOf(ch), context).toBeLessThan(at);
      for (const ch of source.slice(pos))
        if (shared.has(ch)) expect(inserted.indexOf(ch), context).toBeGreaterThan(at);

      if (source.length === 0) continue;
      const from = random.int(0, source.length - 1);
      const len = random.int(1, source.length - from);
      const removed = new Set([...source.slice(from, from + len)].filter((ch) => shared.has(ch)));
      const deleted = applyEdits(
        target,
        alignTextEdit(source, target, { kind: 'text', field: 'text', action: 'delete', pos: from, len }),
      );
      expect(deleted, context).toBe([...target].filter((ch) => !removed.has(ch)).join(''));
    }
  });
});

describe('checkTextEdit', () => {
  it('rejects ranges beyond the text and positions inside a surrogate pair', () => {
    expect(() =>
      checkTextEdit('abc', { kind: 'text', field: 'text', action: 'insert', pos: 4, text: 'x' }),
    ).toThrow(IntentError);
    expect(() =>
      checkTextEdit('abc', { kind: 'text', field: 'text', action: 'delete', pos: 2, len: 2 }),
    ).toThrow(/beyond the text/);
    expect(() =>
      checkTextEdit('a😀b', { kind: 'text', field: 'text', action: 'insert', pos: 2, text: 'x' }),
    ).toThrow(/surrogate/);
    expect(() =>
      checkTextEdit('a😀b', { kind: 'text', field: 'text', action: 'delete', pos: 1, len: 1 }),
    ).toThrow(/surrogate/);
    expect(() =>
      checkTextEdit('a😀b', { kind: 'text', field: 'text', action: 'delete', pos: 1, len: 2 }),
    ).not.toThrow();
    expect(() =>
      checkTextEdit('', { kind: 'text', field: 'text', action: 'insert', pos: 0, text: 'x' }),
    ).not.toThrow();
  });
});
