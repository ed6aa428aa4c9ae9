/**
 * Places a text edit made against one engine's text (the one the user sees) into another engine's text,
 * at the spot with the same surrounding text. The two texts differ when engines resolved concurrent edits
 * differently (insert order, LWW's whole-text register), so positions alone would drift.
 *
 * The texts are aligned as segments: characters both texts share (map one to one), characters only the
 * source has, characters only the target has (a character diff, fast-diff, decides them).
 * - An insertion lands right after the nearest shared character to its left, i.e. before any text only
 *   the target has at that spot (the same "left origin" rule CRDT texts use), or at 0 if there is none.
 * - A deletion removes exactly the shared characters inside the range; characters only one text has are
 *   left alone (the user never saw the target-only ones, and source-only ones do not exist in the target).
 *   That can take several ranges, returned back to front so each applies to the text the previous left.
 *
 * `alignTextEdit` aligns two whole texts (a diff of both). The runtime keeps a `TextAlignment` per pair of
 * engines instead: it follows both texts' deltas, so the segments stay true without reading either text,
 * and only a stretch where an edit landed and the texts may now differ is diffed again, once, when an
 * edit needs it (O(that stretch), never O(text)). When both texts hash equal, positions map one to one.
 */
import diff from 'fast-diff';
import type { TextEdit } from './schema.ts';
import type { TextDelta } from './text-delta.ts';

/** The edits that do in `target` what `edit` does in `source` (empty when a deletion has nothing to delete). */
export function alignTextEdit(source: string, target: string, edit: TextEdit): TextEdit[] {
  if (source === target) return [edit];
  return alignInSegments(diffSegments(source, target, true), edit);
}

const SHARED = 0;
const SOURCE_ONLY = 1;
const TARGET_ONLY = 2;
type Kind = typeof SHARED | typeof SOURCE_ONLY | typeof TARGET_ONLY;

interface Segment {
  readonly kind: Kind;
  readonly n: number;
  /** Decided by a diff (or shared from the start); false once a delta touched it. */
  readonly clean: boolean;
}

function diffSegments(source: string, target: string, clean: boolean): Segment[] {
  return diff(source, target).map(([op, chunk]) => ({
    kind: op === diff.EQUAL ? SHARED : op === diff.DELETE ? SOURCE_ONLY : TARGET_ONLY,
    n: chunk.length,
    clean,
  }));
}

function alignInSegments(segments: readonly Segment[], edit: TextEdit): TextEdit[] {
  if (edit.action === 'insert') return [{ ...edit, pos: mapInsertPosition(segments, edit.pos) }];
  return mapDeletion(segments, edit.pos, edit.pos + edit.len)
    .reverse()
    .map(([start, end]) => ({ ...edit, pos: start, len: end - start }));
}

/** One text of an aligned pair, as the alignment reads it. */
export interface AlignedText {
  readonly length: number;
  slice(from: number, to: number): string;
  /** Equal for equal texts. */
  hash(): string;
}

/** Shared characters on either side of a stretch that are diffed with it. */
const CONTEXT = 32;

/** Most deltas kept unfolded (texts that drift apart with no edit to align meanwhile). */
const MAX_PENDING = 1024;

/** Most segments kept before every stretch touched by deltas is diffed again (amortised tidying). */
const MAX_SEGMENTS = 256;

/** The alignment of two texts that change by deltas (see the module comment). */
export class TextAlignment {
  private segments: Segment[];
  /**
   * Deltas not yet folded into the segments, in order. While the texts stay equal (typing: every edit
   * reaches both), the next `align` finds equal hashes and drops them unread: O(1) per delta.
   */
  private pending: [typeof SOURCE_ONLY | typeof TARGET_ONLY, TextDelta][] = [];

  constructor(
    private readonly source: AlignedText,
    private readonly target: AlignedText,
  ) {
    // Nothing known yet: one stretch to diff when first needed.
    this.segments = tidy([
      { kind: SOURCE_ONLY, n: source.length, clean: false },
      { kind: TARGET_ONLY, n: target.length, clean: false },
    ]);
  }

  /** The source text changed by `deltas` (each against the text the previous left). */
  sourceChanged(deltas: readonly TextDelta[]): void {
    for (const delta of deltas) this.pending.push([SOURCE_ONLY, delta]);
    if (this.pending.length > MAX_PENDING) this.fold();
  }

  /** The target text changed by `deltas`. */
  targetChanged(deltas: readonly TextDelta[]): void {
    for (const delta of deltas) this.pending.push([TARGET_ONLY, delta]);
    if (this.pending.length > MAX_PENDING) this.fold();
  }

  /** Fold the pending deltas into the segments. */
  private fold(): void {
    for (const [side, delta] of this.pending) this.segments = edited(this.segments, side, delta);
    this.pending = [];
    this.tidyIfLong();
  }

  /** The edits that do in the target what `edit` does in the source (see `alignTextEdit`). */
  align(edit: TextEdit): TextEdit[] {
    if (this.source.length === this.target.length && this.source.hash() === this.target.hash()) {
      this.segments = tidy([{ kind: SHARED, n: this.source.length, clean: true }]);
      this.pending = [];
      return [edit];
    }
    this.fold();
    const from = edit.pos;
    const to = edit.action === 'insert' ? edit.pos : edit.pos + edit.len;
    this.cleanAround(from, to);
    return alignInSegments(this.segments, edit);
  }

  /** Segments as [kind, length] (for tests). */
  describe(): ['shared' | 'source' | 'target', number][] {
    return this.segments.map((s) => [
      s.kind === SHARED ? 'shared' : s.kind === SOURCE_ONLY ? 'source' : 'target',
      s.n,
    ]);
  }

  private tidyIfLong(): void {
    if (this.segments.length > MAX_SEGMENTS) this.cleanAround(0, Number.POSITIVE_INFINITY);
  }

  /**
   * Diff again every stretch of unshared characters that touched deltas left unclean and that reaches
   * into source positions [from, to] (with its neighbours: a stretch ends at a clean shared segment).
   */
  private cleanAround(from: number, to: number): void {
    const out: Segment[] = [];
    let s = 0;
    let t = 0;
    let i = 0;
    const segments = [...this.segments];
    while (i < segments.length) {
      const seg = segments[i] as Segment;
      if (seg.kind === SHARED && seg.clean) {
        out.push(seg);
        s += seg.n;
        t += seg.n;
        i++;
        continue;
      }
      // A stretch: everything up to the next clean shared segment.
      let j = i;
      let sn = 0;
      let tn = 0;
      let dirty = false;
      while (
        j < segments.length &&
        !((segments[j] as Segment).kind === SHARED && (segments[j] as Segment).clean)
      ) {
        const x = segments[j] as Segment;
        if (x.kind !== TARGET_ONLY) sn += x.n;
        if (x.kind !== SOURCE_ONLY) tn += x.n;
        dirty ||= !x.clean;
        j++;
      }
      if (dirty && s <= to && s + sn >= from) {
        // Diffed with some shared text on either side, so the diff places what differs as a diff of the
        // whole texts would (which of two equal spaces is the shared one, say).
        const last = out[out.length - 1];
        const before = last === undefined ? 0 : Math.min(CONTEXT, last.n);
        if (last !== undefined) out[out.length - 1] = { ...last, n: last.n - before };
        const next = segments[j];
        const after = next === undefined ? 0 : Math.min(CONTEXT, next.n);
        if (next !== undefined) segments[j] = { ...next, n: next.n - after };
        out.push(
          ...diffSegments(
            this.source.slice(s - before, s + sn + after),
            this.target.slice(t - before, t + tn + after),
            true,
          ),
        );
        s += after;
        t += after;
      } else {
        for (let k = i; k < j; k++) out.push(segments[k] as Segment);
      }
      s += sn;
      t += tn;
      i = j;
    }
    this.segments = tidy(out);
  }
}

/**
 * The segments after one side's text changed by `delta`: that side's shared characters in the removed
 * range become the other side's alone, its own ones go; the insertion is that side's alone. Whatever the
 * delta touched is unclean until diffed again. O(segments).
 */
function edited(
  segments: readonly Segment[],
  side: typeof SOURCE_ONLY | typeof TARGET_ONLY,
  delta: TextDelta,
): Segment[] {
  const other: Kind = side === SOURCE_ONLY ? TARGET_ONLY : SOURCE_ONLY;
  const { pos, del, text } = delta;
  const end = pos + del;
  const out: Segment[] = [];
  let p = 0;
  let inserted = text.length === 0;
  const insert = (): void => {
    if (!inserted) out.push({ kind: side, n: text.length, clean: false });
    inserted = true;
  };
  for (const seg of segments) {
    const width = seg.kind === other ? 0 : seg.n;
    if (width === 0) {
      // The other side's characters: at the edit's spot they join its unclean stretch.
      if (p >= pos && p <= end && (del > 0 || p === pos)) out.push({ ...seg, clean: false });
      else out.push(seg);
      continue;
    }
    const segEnd = p + width;
    const before = Math.max(0, Math.min(segEnd, pos) - p);
    const removed = Math.max(0, Math.min(segEnd, end) - Math.max(p, pos));
    const after = width - before - removed;
    // The characters before and after the edit keep what they were; the inserted and the removed ones
    // are unclean (a diff decides them again).
    if (before > 0) out.push({ kind: seg.kind, n: before, clean: seg.clean });
    if (p <= pos && pos <= segEnd) insert();
    if (removed > 0 && seg.kind === SHARED) out.push({ kind: other, n: removed, clean: false });
    if (after > 0) out.push({ kind: seg.kind, n: after, clean: seg.clean });
    p = segEnd;
  }
  insert();
  return tidy(out);
}

/** Drop empty segments and merge neighbours of one kind (unclean if either was). */
function tidy(segments: readonly Segment[]): Segment[] {
  const out: Segment[] = [];
  for (const seg of segments) {
    if (seg.n === 0) continue;
    const last = out[out.length - 1];
    if (last !== undefined && last.kind === seg.kind) {
      out[out.length - 1] = { kind: seg.kind, n: last.n + seg.n, clean: last.clean && seg.clean };
    } else out.push(seg);
  }
  return out;
}

function mapInsertPosition(segments: readonly Segment[], pos: number): number {
  let s = 0; // position in source
  let t = 0; // position in target
  for (const { kind, n } of segments) {
    if (kind === SHARED) {
      if (pos <= s + n) return t + (pos - s);
      s += n;
      t += n;
    } else if (kind === SOURCE_ONLY) {
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
  for (const { kind, n } of segments) {
    if (s >= to) break;
    if (kind === SHARED) {
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
    } else if (kind === SOURCE_ONLY) {
      s += n;
    } else {
      t += n;
    }
  }
  return ranges;
}
