/**
 * Undoing text in an engine without an undo of its own, in O(edit): a reversal remembers which characters
 * this replica inserted (spans) or which text it deleted and where (a point), in the engine's text as it
 * was at one moment of that engine's text log (`seq`), and follows the engine's later text deltas — its
 * own and other windows' — only when it is used (`catchUp`). Nothing reads a whole text: undoing an
 * insertion deletes just those of its characters still there (never one another window typed inside
 * it), undoing a deletion re-inserts its text where its old neighbours now meet.
 */
import type { TextDelta } from '../text-delta.ts';

/** Characters [from, to) of the text. */
export interface Span {
  readonly from: number;
  readonly to: number;
}

/**
 * A delta of an engine's text log; `undoes`: it was made by undoing or redoing the delta at that index
 * of the log (when it comes right after it, but for pairs that cancel out, the two cancel out too).
 */
export interface LoggedDelta extends TextDelta {
  readonly undoes?: number;
}

export type TextReversal =
  /**
   * Undo an insertion: delete what is left of these spans (ascending, disjoint). `origin`: the index of
   * the one delta of the log that made them, when one did.
   */
  | { readonly kind: 'un-insert'; readonly field: string; spans: Span[]; seq: number; origin?: number }
  /**
   * Undo a deletion: insert `text` back at `at`. `after`: text inserted exactly at `at` goes before the
   * point (it stood right of text deleted there since: when that text comes back, by a redo, the point
   * follows it, so steps undone and redone in a chain keep their order).
   */
  | {
      readonly kind: 'un-delete';
      readonly field: string;
      at: number;
      after: boolean;
      text: string;
      seq: number;
      origin?: number;
    };

/** Spans moved by one delta: what it deleted of them is gone; what it inserted inside one splits it. */
export function spansThrough(spans: readonly Span[], delta: TextDelta): Span[] {
  const end = delta.pos + delta.del;
  const inserted = delta.text.length;
  const throughDelete = (x: number): number => (x <= delta.pos ? x : x >= end ? x - delta.del : delta.pos);
  const out: Span[] = [];
  const push = (from: number, to: number): void => {
    if (from >= to) return;
    const last = out[out.length - 1];
    if (last !== undefined && last.to === from) out[out.length - 1] = { from: last.from, to };
    else out.push({ from, to });
  };
  for (const span of spans) {
    let from = throughDelete(span.from);
    let to = throughDelete(span.to);
    if (from === to) continue;
    if (inserted > 0) {
      if (delta.pos <= from) {
        // Typed at or before the span's start: the span moves right.
        from += inserted;
        to += inserted;
      } else if (delta.pos < to) {
        // Typed inside: those characters are someone else's (or a later step's), not the span's.
        push(from, delta.pos);
        from = delta.pos + inserted;
        to += inserted;
      }
    }
    push(from, to);
  }
  return out;
}

/** A point moved by one delta: to the deletion's start if inside it; right if text was inserted before it. */
export function pointThrough(
  point: { readonly at: number; readonly after: boolean },
  delta: TextDelta,
): { at: number; after: boolean } {
  const end = delta.pos + delta.del;
  let { at, after } = point;
  if (delta.del > 0) {
    if (at === end)
      after = true; // the text left of it went
    else if (at === delta.pos) after = false; // the text right of it went
    at = at <= delta.pos ? at : at >= end ? at - delta.del : delta.pos;
  }
  if (delta.pos < at || (delta.pos === at && after)) at += delta.text.length;
  return { at, after };
}

/**
 * Bring a reversal up to `seq` through `deltas` (the log's deltas from its seq on). An undo or redo and
 * the delta it reverted cancel out (when everything between them does): a chain of undos then redos of
 * this window's steps gives back exactly the text it had, where following each delta alone would lose
 * which side of a deleted stretch a point was on.
 */
export function catchUp(reversal: TextReversal, deltas: readonly LoggedDelta[], seq: number): void {
  const first = reversal.seq;
  const kept: { readonly index: number; readonly delta: LoggedDelta }[] = [];
  for (const [offset, delta] of deltas.entries()) {
    const top = kept[kept.length - 1];
    if (top !== undefined && delta.undoes === top.index && reverts(delta, top.delta)) kept.pop();
    else kept.push({ index: first + offset, delta });
  }
  for (const { delta } of kept) {
    if (reversal.kind === 'un-insert') reversal.spans = spansThrough(reversal.spans, delta);
    else {
      const { at, after } = pointThrough(reversal, delta);
      reversal.at = at;
      reversal.after = after;
    }
  }
  reversal.seq = seq;
}

/** Whether `later`, right after `earlier`, gives back the text before it (an insertion and its deletion). */
function reverts(later: TextDelta, earlier: TextDelta): boolean {
  if (later.pos !== earlier.pos) return false;
  if (earlier.del === 0 && later.text.length === 0) return later.del === earlier.text.length;
  if (earlier.text.length === 0 && later.del === 0) return later.text.length === earlier.del;
  return false;
}

/**
 * One reversal for a typing run: `earlier` (caught up to just before the later edit) and the later edit's
 * own reversal, both made against the text as it was before the later edit; undefined when the later edit
 * does not extend the earlier one (typing on; backspace; the delete key).
 */
export function mergeTextReversals(earlier: TextReversal, later: TextReversal): TextReversal | undefined {
  if (earlier.field !== later.field) return undefined;
  if (earlier.kind === 'un-insert' && later.kind === 'un-insert') {
    const last = earlier.spans[earlier.spans.length - 1];
    const added = later.spans[0];
    if (last === undefined || added === undefined || later.spans.length !== 1 || added.from !== last.to)
      return undefined;
    return {
      kind: 'un-insert',
      field: later.field,
      spans: [...earlier.spans.slice(0, -1), { from: last.from, to: added.to }],
      seq: later.seq,
    };
  }
  if (earlier.kind === 'un-delete' && later.kind === 'un-delete') {
    // Backspace: the later deletion ends where the earlier one was.
    if (later.at + later.text.length === earlier.at) return unDelete(later, later.text + earlier.text);
    // Delete key: the later deletion starts there.
    if (later.at === earlier.at) return unDelete(later, earlier.text + later.text);
  }
  return undefined;
}

/** A merged deletion's reversal: no single delta of the log made it (so it has no origin). */
function unDelete(later: TextReversal & { kind: 'un-delete' }, text: string): TextReversal {
  return { kind: 'un-delete', field: later.field, at: later.at, after: later.after, text, seq: later.seq };
}
