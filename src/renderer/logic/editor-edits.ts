/**
 * Between CodeMirror transactions and text intents. A local transaction's changes become intents by
 * position (what the user did, never a diff of whole texts); a replacement reported by the text feed
 * becomes a CodeMirror change.
 */
import type { ChangeSet, ChangeSpec } from '@codemirror/state';
import type { TextEdit } from '@converge/replica';
import type { TextReplacement } from './text-feed.ts';

/**
 * The intents that carry out `changes` on the text they apply to, in the order to apply them: back to
 * front, so each position still refers to the text before the transaction; per change, the deletion
 * before the insertion.
 */
export function changesToEdits(field: string, changes: ChangeSet): TextEdit[] {
  const replacements: TextReplacement[] = [];
  changes.iterChanges((fromA, toA, _fromB, _toB, inserted) => {
    replacements.push({ from: fromA, to: toA, insert: inserted.toString() });
  });
  return replacementsToEdits(field, replacements);
}

/** Ascending, disjoint replacements of one text as intents, back to front (delete before insert). */
export function replacementsToEdits(field: string, replacements: readonly TextReplacement[]): TextEdit[] {
  const edits: TextEdit[] = [];
  for (let i = replacements.length - 1; i >= 0; i--) {
    const { from, to, insert } = replacements[i] as TextReplacement;
    if (to > from) edits.push({ kind: 'text', field, action: 'delete', pos: from, len: to - from });
    if (insert.length > 0) edits.push({ kind: 'text', field, action: 'insert', pos: from, text: insert });
  }
  return edits;
}

/**
 * Replacements from the text feed as CodeMirror changes (both are against the text before them); an
 * insertion the feed has as a Text already goes in as that Text, not split into lines again.
 */
export function replacementsToChanges(replacements: readonly TextReplacement[]): ChangeSpec[] {
  return replacements.map(({ from, to, insert, insertDoc }) => ({ from, to, insert: insertDoc ?? insert }));
}
