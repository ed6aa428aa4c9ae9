/**
 * Keeping the caret (and selection) where the user left it when a remote edit replaces the text under
 * it. The engines give us the old and new text, not the remote operations, so the change is recovered
 * with a character diff and each caret position is carried through it.
 */
import diff from 'fast-diff';

export interface Selection {
  readonly start: number;
  readonly end: number;
}

/**
 * Where `pos` in `before` lands in `after`. Text inserted exactly at the position goes after it when
 * `stickTo` is 'left' (the caret stays behind what it followed) and before it when 'right'. A position
 * inside deleted text moves to where the deletion was.
 */
export function transformPosition(
  before: string,
  after: string,
  pos: number,
  stickTo: 'left' | 'right' = 'left',
): number {
  if (before === after) return pos;
  return mapThrough(diff(before, after), pos, stickTo);
}

/**
 * Carry a selection through a remote change. A collapsed caret sticks to the text on its left; a range
 * keeps exactly the text it covered (insertions at its edges stay outside it).
 */
export function transformSelection(before: string, after: string, selection: Selection): Selection {
  if (before === after) return selection;
  const segments = diff(before, after);
  if (selection.start === selection.end) {
    const caret = mapThrough(segments, selection.start, 'left');
    return { start: caret, end: caret };
  }
  const start = mapThrough(segments, selection.start, 'right');
  const end = mapThrough(segments, selection.end, 'left');
  return end >= start ? { start, end } : { start: end, end };
}

function mapThrough(segments: readonly diff.Diff[], pos: number, stickTo: 'left' | 'right'): number {
  let oldPos = 0;
  let newPos = 0;
  for (const [op, chunk] of segments) {
    const n = chunk.length;
    if (op === diff.EQUAL) {
      if (pos < oldPos + n || (pos === oldPos + n && stickTo === 'left')) return newPos + (pos - oldPos);
      oldPos += n;
      newPos += n;
    } else if (op === diff.DELETE) {
      if (pos < oldPos + n) return newPos;
      oldPos += n;
    } else {
      // Text inserted exactly at `pos`: a left-sticking position stays in front of it.
      if (pos === oldPos && stickTo === 'left') return newPos;
      newPos += n;
    }
  }
  return newPos;
}
