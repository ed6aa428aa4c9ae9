import { ChangeSet, Text } from '@codemirror/state';
import { fcParams } from '@converge/crdt-core/testing';
import { applyTextEdit } from '@converge/replica';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { changesToEdits, replacementsToChanges, replacementsToEdits } from '../logic/editor-edits.ts';

const text = fc.string({ unit: fc.constantFrom('a', 'b', '\n', ' '), maxLength: 30 });

/** Random ascending, disjoint replacements of a text of `length`. */
function replacements(length: number) {
  return fc.array(fc.tuple(fc.nat(length), fc.nat(length), text), { maxLength: 4 }).map((raw) => {
    const cuts = [...raw.map(([x]) => x), ...raw.map(([, y]) => y)].sort((p, q) => p - q);
    const out: { from: number; to: number; insert: string }[] = [];
    for (let i = 0; i + 1 < cuts.length; i += 2) {
      const from = cuts[i] as number;
      const to = cuts[i + 1] as number;
      if (out.length > 0 && from <= (out[out.length - 1]?.to ?? -1)) continue;
      out.push({ from, to, insert: raw[i / 2]?.[2] ?? '' });
    }
    return out;
  });
}

describe('CodeMirror changes as text intents', () => {
  it('do to the engine text exactly what the transaction did to the document', () => {
    fc.assert(
      fc.property(
        text.chain((before) => fc.tuple(fc.constant(before), replacements(before.length))),
        ([before, specs]) => {
          const doc = Text.of(before.split('\n'));
          const changes = ChangeSet.of(replacementsToChanges(specs), doc.length);
          let engineText = before;
          for (const edit of changesToEdits('text', changes)) engineText = applyTextEdit(engineText, edit);
          expect(engineText).toBe(changes.apply(doc).sliceString(0, undefined, '\n'));
        },
      ),
      fcParams(),
    );
  });

  it('are positions, a deletion before an insertion, back to front', () => {
    expect(
      replacementsToEdits('text', [
        { from: 1, to: 2, insert: 'X' },
        { from: 5, to: 5, insert: 'Y' },
      ]),
    ).toEqual([
      { kind: 'text', field: 'text', action: 'insert', pos: 5, text: 'Y' },
      { kind: 'text', field: 'text', action: 'delete', pos: 1, len: 1 },
      { kind: 'text', field: 'text', action: 'insert', pos: 1, text: 'X' },
    ]);
  });
});
