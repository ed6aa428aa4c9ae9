import type { ReplicaId } from '../replica-id.ts';
import type { IdRange, InsertOp, RgaOp } from './types.ts';

/**
 * The operations integrated since the last save (`Rga.save`), coalesced as they are recorded: a
 * replica's keystrokes typed on one after another (each after its own previous character, its right
 * origin inherited) become one insert, whose further characters take exactly those origins; deletes
 * next to each other become one, their ranges joined where they meet (a backspaced word is one
 * range). Applied in order, they make the same document; decoding a save replays one operation per
 * typed stretch instead of one per keystroke.
 *
 * Coalescing here rather than at save time keeps a save from copying an insert per typed character
 * and a delete's ranges per delete: a stretch's text is gathered and its op built once, a run of
 * deletes joins into one array of its own. The recorded ops are never changed (callers hold them).
 */
export class Journal {
  private ops: RgaOp[] = [];
  /** The last op when it is an insert, as recorded. */
  private tail: InsertOp | null = null;
  /**
   * What was typed on it since, piece by piece, joined once when it is sealed (as `Rga.flushPending`
   * does). Not a string grown by `+=`: V8 keeps that as a rope of one node per keystroke, scattered
   * through the heap by the time a save reads it, and its first read walks them all (a cache miss
   * each: 40–60 µs per 1,000 characters, against 2–3 µs flat).
   */
  private readonly typed: string[] = [];
  /** Its replica and the counter after its last character (where typing on goes on). */
  private tailReplica: ReplicaId | null = null;
  private tailEnd = 0;
  /** The last op's ranges when it is a delete this journal built by joining deletes (else null). */
  private joined: IdRange[] | null = null;

  get length(): number {
    return this.ops.length;
  }

  record(op: RgaOp): void {
    if (op.kind === 'insert') {
      const { id, left } = op;
      // Typed on: after its own previous character, its right origin inherited.
      if (
        op.right === 'inherit' &&
        left !== null &&
        left.replica === id.replica &&
        left.counter === id.counter - 1 &&
        this.typedOn(id.replica, id.counter, op.text)
      )
        return;
      this.seal();
      this.ops.push(op);
      this.tail = op;
      this.tailReplica = op.id.replica;
      this.tailEnd = op.id.counter + op.text.length;
      return;
    }
    if (op.kind === 'delete') {
      const last = this.ops[this.ops.length - 1];
      if (last?.kind === 'delete') {
        let ranges = this.joined;
        if (ranges === null) {
          ranges = [...last.ranges];
          this.joined = ranges;
          this.ops[this.ops.length - 1] = { kind: 'delete', ranges };
        }
        for (const range of op.ranges) joinRange(ranges, range);
        return;
      }
    }
    this.seal();
    this.ops.push(op);
  }

  /**
   * `record` of `replica`'s insert of `text` at `counter` typed on (left origin its own predecessor,
   * right origin inherited), without building the op when it goes on the last insert; false when it
   * does not (the caller records the op).
   */
  typedOn(replica: ReplicaId, counter: number, text: string): boolean {
    if (this.tail === null || replica !== this.tailReplica || counter !== this.tailEnd) return false;
    this.typed.push(text);
    this.tailEnd += text.length;
    return true;
  }

  /** The coalesced operations, in order; the journal is empty after. */
  take(): RgaOp[] {
    this.seal();
    const ops = this.ops;
    this.ops = [];
    return ops;
  }

  /** The last op is final: its insert built with the text typed on, its joined ranges left alone. */
  private seal(): void {
    const tail = this.tail;
    if (tail !== null) {
      const typed = this.typed;
      if (typed.length > 0) {
        this.ops[this.ops.length - 1] = { ...tail, text: tail.text + typed.join('') };
        typed.length = 0;
      }
      this.tail = null;
      this.tailReplica = null;
    }
    this.joined = null;
  }
}

function joinRange(ranges: IdRange[], range: IdRange): void {
  const last = ranges[ranges.length - 1];
  // Ranges that meet, either way round (typing forward deletes ascending, backspacing descending).
  const meets =
    last !== undefined &&
    last.replica === range.replica &&
    (last.counter + last.length === range.counter || range.counter + range.length === last.counter);
  if (!meets) {
    ranges.push(range);
    return;
  }
  const counter = Math.min(last.counter, range.counter);
  ranges[ranges.length - 1] = { replica: last.replica, counter, length: last.length + range.length };
}
