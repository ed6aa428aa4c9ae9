/**
 * Keeping an editor's positions right while its replica runs in a worker. The editor shows a local edit
 * at once and sends it without waiting; the worker's own text (every engine's change, a peer's edit
 * among them) arrives later, against the text as the worker held it. Two halves of one transformation
 * (CodeMirror's `ChangeSet.map`, with the worker's change ordered first at a shared position):
 *
 * - page side, `EditorSync`: the edits sent and not yet carried out by the worker (pending). A worker
 *   change is mapped over them before the editor shows it, and they are mapped over it, so they stay
 *   against the text the worker will hold when it gets to them.
 * - worker side, `EditRebaser`: the changes the page had not seen when it sent an edit (by revision).
 *   The edit is mapped over them before the engines apply it, and they over the edit, so a later edit
 *   the page sent before seeing them maps the same way.
 *
 * Both sides order concurrent insertions at one position the same way (the worker's first), so the
 * editor and the engine end with the same text.
 */
import { ChangeSet, Text } from '@codemirror/state';

export interface PendingEdit {
  readonly seq: number;
  changes: ChangeSet;
}

export class EditorSync {
  private readonly pending: PendingEdit[] = [];

  /** Edits the editor shows that the worker has not confirmed yet, oldest first. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** The editor made `changes` (against the editor's text) and sent them as edit `seq`. */
  local(seq: number, changes: ChangeSet): void {
    this.pending.push({ seq, changes });
  }

  /**
   * A change of the worker's text (not one of ours): what the editor must apply. Throws RangeError when
   * the change does not fit the text the pending edits start from (the caller then re-reads the text).
   */
  remote(changes: ChangeSet): ChangeSet {
    let mapped = changes;
    for (const edit of this.pending) {
      const next = mapped.map(edit.changes, true);
      edit.changes = edit.changes.map(mapped);
      mapped = next;
    }
    return mapped;
  }

  /** The worker carried out edit `seq`; false when it was not the oldest pending edit (out of step). */
  acknowledge(seq: number): boolean {
    const head = this.pending[0];
    if (head === undefined || head.seq !== seq) {
      this.pending.length = 0;
      return false;
    }
    this.pending.shift();
    return true;
  }

  /** Forget every pending edit (the editor is about to show the worker's text as it is). */
  clear(): void {
    this.pending.length = 0;
  }

  /** The text the editor should show, given the worker's `text`: the pending edits applied to it. */
  expected(text: string): string {
    let doc = Text.of(text.split('\n'));
    for (const edit of this.pending) {
      if (edit.changes.length !== doc.length) return text;
      doc = edit.changes.apply(doc);
    }
    return doc.toString();
  }
}

/**
 * Sequential deltas (each against the text the previous one left) as one ChangeSet against the text
 * before the first; `lengthAfter` is the text's length after the last.
 */
export function changeSetOfDeltas(
  deltas: readonly { readonly pos: number; readonly del: number; readonly text: string }[],
  lengthAfter: number,
): ChangeSet {
  let length = lengthAfter;
  for (const delta of deltas) length -= delta.text.length - delta.del;
  let composed = ChangeSet.empty(length);
  for (const delta of deltas) {
    const step = ChangeSet.of({ from: delta.pos, to: delta.pos + delta.del, insert: delta.text }, length);
    composed = composed.compose(step);
    length = step.newLength;
  }
  return composed;
}

/**
 * Whether two change sets against one text make the same replacements (adjacent pieces joined: a
 * deletion followed by an insertion at its place is the replacement).
 */
export function sameChanges(a: ChangeSet, b: ChangeSet): boolean {
  if (a.length !== b.length || a.newLength !== b.newLength) return false;
  const left = joinedReplacements(a);
  const right = joinedReplacements(b);
  return (
    left.length === right.length &&
    left.every((r, i) => {
      const o = right[i];
      return o !== undefined && r.from === o.from && r.to === o.to && r.insert === o.insert;
    })
  );
}

function joinedReplacements(changes: ChangeSet): { from: number; to: number; insert: string }[] {
  const out: { from: number; to: number; insert: string }[] = [];
  changes.iterChanges((fromA, toA, _fromB, _toB, inserted) => {
    const last = out[out.length - 1];
    if (last !== undefined && last.to === fromA) {
      last.to = toA;
      last.insert += inserted.toString();
    } else out.push({ from: fromA, to: toA, insert: inserted.toString() });
  });
  return out;
}

interface SeenChange {
  readonly rev: number;
  /** The change, or how to make it: built only when an edit must be rebased over it. */
  changes: ChangeSet | (() => ChangeSet);
}

function changesOf(change: SeenChange): ChangeSet {
  if (typeof change.changes === 'function') change.changes = change.changes();
  return change.changes;
}

/** The most changes kept for edits the page sent before seeing them; an older base is refused. */
export const MAX_UNSEEN_CHANGES = 4096;

export class EditRebaser {
  private readonly changes = new Map<string, SeenChange[]>();
  /** Edits based before this revision cannot be rebased (changes were dropped or the engine switched). */
  private floor = 0;

  /**
   * The worker's text of `field` changed by `changes` (not an edit of the page), at revision `rev`. Given
   * as a function, the change set is built only if an edit the page made before seeing it needs it: most
   * changes are seen first, and building one copies its inserted text into a CodeMirror Text (a peer's
   * 1 MB document took ~20 ms of a new window's worker before its text was posted to the page).
   */
  observe(field: string, rev: number, changes: ChangeSet | (() => ChangeSet)): void {
    let list = this.changes.get(field);
    if (list === undefined) {
      list = [];
      this.changes.set(field, list);
    }
    list.push({ rev, changes });
    if (list.length > MAX_UNSEEN_CHANGES) {
      const dropped = list.shift() as SeenChange;
      this.floor = Math.max(this.floor, dropped.rev);
    }
  }

  /**
   * An edit the page made after seeing revision `base`: the same edit against the worker's text now.
   * Undefined when it cannot be placed (its base is too old, or it does not fit the text).
   */
  rebase(field: string, base: number, edit: ChangeSet): ChangeSet | undefined {
    if (base < this.floor) return undefined;
    const list = (this.changes.get(field) ?? []).filter((change) => change.rev > base);
    this.changes.set(field, list);
    try {
      let mapped = edit;
      for (const change of list) {
        const changes = changesOf(change);
        const next = mapped.map(changes);
        change.changes = changes.map(mapped, true);
        mapped = next;
      }
      return mapped;
    } catch {
      return undefined;
    }
  }

  /** Everything before revision `rev` is moot (the engine followed changed): later edits need a newer base. */
  reset(rev: number): void {
    this.changes.clear();
    this.floor = rev;
  }
}
