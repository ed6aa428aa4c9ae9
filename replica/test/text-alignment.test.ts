import { SeededRandom } from '@converge/crdt-core';
import { budget, testSeed } from '@converge/crdt-core/testing';
import { describe, expect, it } from 'vitest';
import { checkTextEdit, IntentError, type TextEdit } from '../src/schema.ts';
import { type AlignedText, alignTextEdit, TextAlignment } from '../src/text-alignment.ts';
import { applyTextDeltas, type TextDelta } from '../src/text-delta.ts';

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

describe('TextAlignment (incremental)', () => {
  /** A text that changes by deltas, as an engine's mirror does. */
  class Text implements AlignedText {
    constructor(public value: string) {}
    get length(): number {
      return this.value.length;
    }
    slice(from: number, to: number): string {
      return this.value.slice(from, to);
    }
    hash(): string {
      return this.value;
    }
    change(delta: TextDelta): void {
      this.value = applyTextDeltas(this.value, [delta]);
    }
  }

  function randomText(rng: SeededRandom, n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) out += String.fromCharCode(0x4e00 + rng.int(0, 40));
    return out;
  }

  it('follows both texts through deltas and aligns like a diff of the whole texts', () => {
    const seed = testSeed();
    const rng = new SeededRandom(seed);
    for (let run = 0; run < budget(20, 200); run++) {
      const base = randomText(rng, rng.int(0, 60));
      const source = new Text(base);
      const target = new Text(base);
      const alignment = new TextAlignment(source, target);
      for (let step = 0; step < 30; step++) {
        // Each side drifts on its own now and then (concurrent edits resolved differently), and the
        // user's edits reach both, aligned.
        const side = rng.int(0, 3);
        const text = side === 0 ? source : side === 1 ? target : undefined;
        if (text !== undefined) {
          const pos = rng.int(0, text.length);
          const delta = {
            pos,
            del: rng.int(0, Math.min(3, text.length - pos)),
            text: randomText(rng, rng.int(0, 3)),
          };
          text.change(delta);
          if (text === source) alignment.sourceChanged([delta]);
          else alignment.targetChanged([delta]);
          continue;
        }
        const pos = rng.int(0, source.length);
        const edit: TextEdit =
          rng.chance(0.6) || source.length === pos
            ? { kind: 'text', field: 'text', action: 'insert', pos, text: randomText(rng, rng.int(1, 3)) }
            : { kind: 'text', field: 'text', action: 'delete', pos, len: rng.int(1, source.length - pos) };
        const where = `seed ${seed} run ${run} step ${step}`;
        const got = alignment.align(edit);
        // The segments account for every character of both texts.
        const described = alignment.describe();
        const count = (kinds: string[]) =>
          described.filter(([k]) => kinds.includes(k)).reduce((n, [, m]) => n + m, 0);
        expect(count(['shared', 'source']), where).toBe(source.length);
        expect(count(['shared', 'target']), where).toBe(target.length);
        const sourceAfter = applyEdits(source.value, [edit]);
        const targetAfter = applyEdits(target.value, got);
        if (edit.action === 'insert') {
          expect(got).toHaveLength(1);
          expect(targetAfter.length, where).toBe(target.length + edit.text.length);
        } else {
          // Deletes shared characters only: never more than the range, and exactly the range when equal.
          const removed = target.length - targetAfter.length;
          expect(removed, where).toBeLessThanOrEqual(edit.len);
          if (source.value === target.value) expect(targetAfter, where).toBe(sourceAfter);
        }
        source.change(
          edit.action === 'insert'
            ? { pos: edit.pos, del: 0, text: edit.text }
            : { pos: edit.pos, del: edit.len, text: '' },
        );
        alignment.sourceChanged([
          edit.action === 'insert'
            ? { pos: edit.pos, del: 0, text: edit.text }
            : { pos: edit.pos, del: edit.len, text: '' },
        ]);
        for (const e of got) {
          const delta =
            e.action === 'insert'
              ? { pos: e.pos, del: 0, text: e.text }
              : { pos: e.pos, del: e.len, text: '' };
          target.change(delta);
          alignment.targetChanged([delta]);
        }
        expect(target.value).toBe(targetAfter);
        expect(source.value).toBe(sourceAfter);
      }
    }
  });

  it('diffs only the stretch an edit touched, not the whole text', () => {
    const big = 'a'.repeat(100_000);
    let sliced = 0;
    const text = (value: { v: string }): AlignedText => ({
      get length() {
        return value.v.length;
      },
      slice(from, to) {
        sliced += to - from;
        return value.v.slice(from, to);
      },
      hash: () => value.v,
    });
    const source = { v: `${big}X${big}` };
    const target = { v: `${big}Y${big}` };
    const alignment = new TextAlignment(text(source), text(target));
    alignment.align({ kind: 'text', field: 'text', action: 'insert', pos: 5, text: 'q' });
    sliced = 0;
    // A keystroke in the source, aligned into the target: only the keystroke's stretch is diffed.
    source.v = `${source.v.slice(0, 50_000)}k${source.v.slice(50_000)}`;
    alignment.sourceChanged([{ pos: 50_000, del: 0, text: 'k' }]);
    target.v = `${target.v.slice(0, 50_000)}k${target.v.slice(50_000)}`;
    alignment.targetChanged([{ pos: 50_000, del: 0, text: 'k' }]);
    expect(
      alignment.align({ kind: 'text', field: 'text', action: 'insert', pos: 150_001, text: 'z' }),
    ).toEqual([{ kind: 'text', field: 'text', action: 'insert', pos: 150_001, text: 'z' }]);
    expect(sliced).toBeLessThan(10);
  });
});
