/**
 * A deferred text edit (made while an engine loaded) is placed in that engine's text by the runtime's
 * alignment rule: where the engine's text differs from the primary's away from the edit, exactly where
 * `alignTextEdit` of the two whole texts puts it; where the engine lacks text before it (a crash lost
 * what peers had sent), at the same surrounding text.
 */

import { SeededRandom } from '@converge/crdt-core';
import { describe, expect, it } from 'vitest';
import { DEFERRED_CONTEXT, placeDeferredTextEdit } from '../src/replica/deferred-intent.ts';
import type { TextEdit } from '../src/schema.ts';
import { alignTextEdit } from '../src/text-alignment.ts';

const asText = (text: string) => ({
  length: text.length,
  slice: (from: number, to: number) => text.slice(from, to),
});

function contextOf(text: string, edit: TextEdit) {
  const end = edit.action === 'insert' ? edit.pos : edit.pos + edit.len;
  return {
    before: text.slice(Math.max(0, edit.pos - DEFERRED_CONTEXT), edit.pos),
    removed: text.slice(edit.pos, end),
    after: text.slice(end, end + DEFERRED_CONTEXT),
  };
}

describe('placeDeferredTextEdit', () => {
  it('places an edit as alignTextEdit of the whole texts does, wherever they differ away from it', () => {
    const rng = new SeededRandom(19);
    const random = () => rng.nextUint32() / 0x1_0000_0000;
    const words = ['alpha ', 'beta ', 'gamma ', 'delta ', 'eps ', 'zeta ', 'eta ', 'theta '];
    const sentence = (n: number) => Array.from({ length: n }, () => words[Math.floor(random() * 8)]).join('');
    for (let run = 0; run < 200; run++) {
      const source = sentence(60);
      // The target differs at a spot at least 2 × CONTEXT away from the edit (another merge there).
      const pos = 100 + Math.floor(random() * (source.length - 200));
      const far =
        random() < 0.5
          ? Math.floor(random() * (pos - 2 * DEFERRED_CONTEXT))
          : pos + 2 * DEFERRED_CONTEXT + Math.floor(random() * (source.length - pos - 2 * DEFERRED_CONTEXT));
      const target = `${source.slice(0, far)}<${sentence(2)}>${source.slice(far)}`;
      const edit: TextEdit =
        random() < 0.5
          ? { kind: 'text', field: 'text', action: 'insert', pos, text: 'NEW' }
          : { kind: 'text', field: 'text', action: 'delete', pos, len: 1 + Math.floor(random() * 5) };
      const placed = placeDeferredTextEdit(asText(target), edit, contextOf(source, edit));
      expect(placed, `run ${run}`).toEqual(alignTextEdit(source, target, edit));
    }
  });

  it('finds the surrounding text when the target lacks what came before it', () => {
    const lost = 'a paragraph a peer typed, which the crash lost before it was stored. ';
    const target = 'one two three four five six seven eight nine ten eleven twelve';
    const source = `${lost}${target}`;
    const at = source.indexOf('seven');
    const edit: TextEdit = {
      kind: 'text',
      field: 'text',
      action: 'insert',
      pos: at,
      text: 'SIX-AND-A-HALF ',
    };
    const [placed] = placeDeferredTextEdit(asText(target), edit, contextOf(source, edit));
    expect(placed).toEqual({ ...edit, pos: target.indexOf('seven') });
  });
});
