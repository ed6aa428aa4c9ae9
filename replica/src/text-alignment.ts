/**
 * Places a text edit made against one engine's text (the one the user sees) into another engine's text,
 * at the spot with the same surrounding text. The two texts differ when engines resolved concurrent edits
 * differently (insert order, LWW's whole-text register), so positions alone would drift.
 *
 * The texts are aligned with a character diff (fast-diff): characters both texts share map one to one.
 * - An insertion lands right after the nearest shared character to its left, i.e. before any text only
 *   the target has at that spot (the same "left origin" rule CRDT texts use), or at 0 if there is none.
 * - A deletion removes exactly the shared characters inside the range; characters only one text has are
 *   left alone (the user never saw the target-only ones, and source-only ones do not exist in the target).
 *   That can take several ranges, returned back to front so each applies to the text the previous left.
 */
import diff from 'fast-diff';
import type { TextEdit } from './schema.ts';

/** The edits that do in `target` what `edit` does in `source` (empty when a deletion has nothing to delete). */
export function alignTextEdit(source: string, target: string, edit: TextEdit): TextEdit[] {
  if (source === target) return [edit];
  const segments = diff(source, target);
  if (edit.action === 'insert') return [{ ...edit, pos: mapInsertPosition(segments, edit.pos) }];
  return mapDeletion(segments, edit.pos, edit.pos + edit.len)
    .reverse()
    .map(([start, end]) => ({ ...edit, pos: start, len: end - start }));
}

/** diff(source, target): -1 = only in source, 0 = shared, 1 = only in target. */
type Segment = diff.Diff;

function mapInsertPosition(segments: readonly Segment[], pos: number): number {
  let s = 0; // position in source
  let t = 0; // position in target
  for (const [op, chunk] of segments) {
    const n = chunk.length;
    if (op === diff.EQUAL) {
      if (pos <= s + n) return t + (pos - s);
      s += n;
      t += n;
    } else if (op === diff.DELETE) {
      // Source-only characters: any position among them maps to where they would be in the target.
      if (pos <= s + n) return t;
      s += n;
    } else {
      // Target-only characters: reached only when the insertion point precedes them (start of text, or
      // right after source-only text), so the insertion goes before them.
      if (pos <= s) return t;
      t += n;
    }
  }
  return t;
}

/** Target ranges [start, end) holding the shared characters of source range [from, to), ascending. */
function mapDeletion(segments: readonly Segment[], from: number, to: number): [number, number][] {
  const ranges: [number, number][] = [];
  let s = 0;
  let t = 0;
  for (const [op, chunk] of segments) {
    if (s >= to) break;
    const n = chunk.length;
    if (op === diff.EQUAL) {
      const start = Math.max(from, s);
      const end = Math.min(to, s + n);
      if (start < end) {
        const tStart = t + (start - s);
        const tEnd = t + (end - s);
        const last = ranges[ranges.length - 1];
        if (last !== undefined && last[1] === tStart) last[1] = tEnd;
        else ranges.push([tStart, tEnd]);
      }
      s += n;
      t += n;
    } else if (op === diff.DELETE) {
      s += n;
    } else {
      t += n;
    }
  }
  return ranges;
}
