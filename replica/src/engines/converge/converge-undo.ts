/**
 * The converge engine's own undo (NativeUndo) on crdt-core's operations, the way Y.UndoManager undoes a
 * Yjs document: each local edit leaves a reversion, a few ids or numbers saying how to take it back
 * (never a copy of the text), and an undo is a new local edit made from them:
 * - a text insert: delete exactly the characters it inserted (by id: what others typed among them
 *   stays, and no position needs following);
 * - a text delete: type its text back where its tombstones sit (new ids), piece by piece;
 * - a PN-counter increment: increment by the negative amount;
 * - a cart line: the inverse of the change this replica made to its PN-counter; taking back the add that
 *   made the line removes it (OR-map remove, only while it holds just that quantity); taking back a
 *   remove adds its former quantity back (a quantity above zero: what the runtime's inverse restores);
 * - a register (note): write the previous value back, unless someone wrote since.
 * A G-counter only grows: its increments cannot be taken back. Redo takes back the undo the same way.
 */
import type { Dot, IdPlace, IdRange, RgaId } from '@converge/crdt-core';
import { sameDot } from '@converge/crdt-core';
import type { NativeUndo } from '../../engine.ts';
import type { FieldEdit } from '../../schema.ts';

/** How to take back one local edit. */
export type Reversion =
  /** Delete these characters (those still visible). */
  | { readonly kind: 'inserted'; readonly field: string; readonly ranges: IdRange[] }
  /** Type `text` back where these deleted characters sit (`text`: theirs, in the order of `ranges`). */
  | {
      readonly kind: 'deleted';
      readonly field: string;
      readonly ranges: readonly IdRange[];
      readonly text: string;
    }
  | { readonly kind: 'counted'; readonly field: string; readonly by: number }
  /** A cart line's quantity before and after (undefined: no line). */
  | {
      readonly kind: 'cart';
      readonly field: string;
      readonly product: string;
      readonly before: number | undefined;
      readonly after: number | undefined;
    }
  /** A register write (`dot`) over `before` (the first value the register held, '' when none). */
  | { readonly kind: 'written'; readonly field: string; readonly dot: Dot; readonly before: string };

/** What the engine's document answers about the state now, for carrying out a reversion. */
export interface ReversionHost {
  /** Visible text pieces of these ids (index, length), deleted ones where their tombstones sit. */
  textPlaces(field: string, ranges: readonly IdRange[]): readonly IdPlace[];
  cartLine(field: string, product: string): number | undefined;
  registerWrites(field: string): readonly Dot[];
  /** Carry out a local edit, its reversion going to `into`; whether it changed anything. */
  perform(edit: FieldEdit, into: Reversion[]): boolean;
  /**
   * Type `text` right before character `id` of a text field (visible or deleted), as `perform` does;
   * the id of the first character typed (the others follow it), undefined when nothing was.
   */
  insertBefore(field: string, id: RgaId, text: string, into: Reversion[]): RgaId | undefined;
}

/** `length` characters from `counter` (of one author) were typed back as the characters from `to`. */
interface Redone {
  readonly counter: number;
  readonly length: number;
  readonly to: RgaId;
}

/**
 * Steps kept; older ones are forgotten. At least the replica's own bound (undo-history.ts), so every step
 * the replica can still ask for is here.
 */
const MAX_STEPS = 1000;

export class ConvergeUndo implements NativeUndo {
  private readonly undoStack: Reversion[][] = [];
  private readonly redoStack: Reversion[][] = [];
  /** The next local edit starts a new step. */
  private boundary = true;
  /**
   * Deleted characters an undo or redo typed back, per text field and author: the copies taking their
   * place (Yjs's `redone`), so undoing the insert that made them deletes the copies.
   */
  private readonly redone = new Map<string, Redone[]>();

  constructor(private readonly host: ReversionHost) {}

  /**
   * A local edit changed the document (not by an undo or redo): its reversions join the current step.
   * One that cannot be taken back (a G-counter's) still makes its step, so the steps stay one to one
   * with those the replica delimits.
   */
  record(reversions: readonly Reversion[]): void {
    // Only when it holds something: setting an array's length calls into V8's runtime even when empty.
    if (this.redoStack.length > 0) this.redoStack.length = 0;
    let step = this.undoStack[this.undoStack.length - 1];
    if (this.boundary || step === undefined) {
      step = [];
      this.undoStack.push(step);
      if (this.undoStack.length > MAX_STEPS) this.undoStack.shift();
      this.boundary = false;
    }
    for (const reversion of reversions) {
      const last = step[step.length - 1];
      if (!extendsInsert(last, reversion)) step.push(reversion);
    }
  }

  stopCapturing(): void {
    this.boundary = true;
  }

  undo(): boolean {
    return this.revert(this.undoStack, this.redoStack);
  }

  redo(): boolean {
    return this.revert(this.redoStack, this.undoStack);
  }

  clear(): void {
    this.undoStack.length = 0;
    this.redoStack.length = 0;
    this.boundary = true;
    this.redone.clear();
  }

  private redoneOf(field: string, replica: string): Redone[] {
    const key = `${field}\u0000${replica}`;
    let list = this.redone.get(key);
    if (list === undefined) {
      list = [];
      this.redone.set(key, list);
    }
    return list;
  }

  /** `ranges` with every character an undo or redo typed back replaced by its copy (the last copy). */
  private followRedone(field: string, ranges: readonly IdRange[]): IdRange[] {
    const out: IdRange[] = [];
    const queue = [...ranges];
    for (let range = queue.pop(); range !== undefined; range = queue.pop()) {
      const list = this.redone.get(`${field}\u0000${range.replica}`);
      if (list === undefined) {
        out.push(range);
        continue;
      }
      const end = range.counter + range.length;
      for (let counter = range.counter; counter < end; ) {
        const copy = list.find((r) => r.counter <= counter && counter < r.counter + r.length);
        if (copy !== undefined) {
          const upto = Math.min(end, copy.counter + copy.length);
          // A copy may have been deleted and typed back again: follow it in turn.
          queue.push({
            replica: copy.to.replica,
            counter: copy.to.counter + counter - copy.counter,
            length: upto - counter,
          });
          counter = upto;
          continue;
        }
        let upto = end;
        for (const r of list) if (r.counter > counter && r.counter < upto) upto = r.counter;
        out.push({ replica: range.replica, counter, length: upto - counter });
        counter = upto;
      }
    }
    return out;
  }

  /** Take back the newest step of `from` (its edits the newest first); its own reversions go on `to`. */
  private revert(from: Reversion[][], to: Reversion[][]): boolean {
    const step = from.pop();
    this.boundary = true;
    if (step === undefined) return false;
    const back: Reversion[] = [];
    for (let i = step.length - 1; i >= 0; i--) this.takeBack(step[i] as Reversion, back);
    if (back.length === 0) return false;
    to.push(back);
    return true;
  }

  private takeBack(reversion: Reversion, back: Reversion[]): void {
    const { host } = this;
    const { field } = reversion;
    switch (reversion.kind) {
      case 'inserted': {
        // The last piece first: the indexes of those before it stay true.
        // Characters deleted and typed back since (by undos and redos) count as theirs, as Yjs follows `redone`.
        const pieces = host
          .textPlaces(field, this.followRedone(field, reversion.ranges))
          .filter((piece) => !piece.deleted);
        pieces.sort((a, b) => b.index - a.index);
        for (const piece of pieces)
          host.perform({ kind: 'text', field, action: 'delete', pos: piece.index, len: piece.length }, back);
        return;
      }
      case 'deleted': {
        // Each piece of text goes right before its first tombstone (new ids): text deleted next to it
        // and typed back later keeps its order. Pieces with nothing visible between them go in together.
        const places: { index: number; text: string; pieces: IdRange[] }[] = [];
        let offset = 0;
        for (const piece of host.textPlaces(field, reversion.ranges)) {
          const text = reversion.text.slice(offset, offset + piece.length);
          offset += piece.length;
          const last = places[places.length - 1];
          if (last !== undefined && last.index === piece.index) {
            last.text += text;
            last.pieces.push(piece);
          } else places.push({ index: piece.index, text, pieces: [piece] });
        }
        for (const { text, pieces } of places) {
          const first = host.insertBefore(field, pieces[0] as IdRange, text, back);
          if (first === undefined) continue;
          let counter = first.counter;
          for (const piece of pieces) {
            this.redoneOf(field, piece.replica).push({
              counter: piece.counter,
              length: piece.length,
              to: { replica: first.replica, counter },
            });
            counter += piece.length;
          }
        }
        return;
      }
      case 'counted':
        host.perform({ kind: 'pn-counter', field, action: 'increment', by: -reversion.by }, back);
        return;
      case 'cart':
        for (const edit of cartReversal(reversion, host.cartLine(field, reversion.product)))
          host.perform(edit, back);
        return;
      case 'written': {
        const writes = host.registerWrites(field);
        // Someone wrote since (or alongside): their value stays, as Y.UndoManager leaves a map key.
        if (writes.length === 1 && sameDot(writes[0] as Dot, reversion.dot))
          host.perform({ kind: 'register', field, action: 'set', value: reversion.before }, back);
        return;
      }
    }
  }
}

/** The cart edits that take back a change of a line from `before` to `after`, the line holding `now`. */
function cartReversal(reversion: Extract<Reversion, { kind: 'cart' }>, now: number | undefined): FieldEdit[] {
  const { field, product, before, after } = reversion;
  const line = { kind: 'cart', field, product } as const;
  if (before === undefined) {
    // The edit made the line: remove it while it holds just what the edit put in; else take that off.
    if (now === undefined || after === undefined) return [];
    if (now === after) return [{ ...line, action: 'remove' }];
    return after > 0 ? [{ ...line, action: 'decrement', qty: after }] : [];
  }
  if (after === undefined) {
    // The edit removed the line: add its former quantity back. A line at zero or below is not brought
    // back (no edit sets a negative quantity), as the runtime's inverse leaves it (undo/reversal.ts).
    return before > 0 ? [{ ...line, action: 'add', qty: before }] : [];
  }
  const delta = after - before;
  if (delta > 0) return now === undefined ? [] : [{ ...line, action: 'decrement', qty: delta }];
  if (delta < 0) return [{ ...line, action: 'add', qty: -delta }];
  return [];
}

/** Typing on: an insert right after the previous one's ids (the same run) extends its reversion. */
function extendsInsert(last: Reversion | undefined, next: Reversion): boolean {
  if (last?.kind !== 'inserted' || next.kind !== 'inserted' || last.field !== next.field) return false;
  const tail = last.ranges[last.ranges.length - 1];
  if (tail === undefined || next.ranges.length !== 1) return false;
  const head = next.ranges[0] as IdRange;
  if (head.replica !== tail.replica || head.counter !== tail.counter + tail.length) return false;
  last.ranges[last.ranges.length - 1] = { ...tail, length: tail.length + head.length };
  return true;
}
