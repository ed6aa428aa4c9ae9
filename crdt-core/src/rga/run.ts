import type { Leaf } from './tree.ts';

/** Replica index meaning "no item": an origin at the document start (left) or end (right). */
export const NONE = -1;

/**
 * A run: consecutive characters inserted by one replica with consecutive counters, each one
 * inserted directly after the one before it, all with the same right origin, and all either
 * visible or deleted. This is the unit the tree stores, so a typed word costs one object, not one
 * per character.
 *
 * Replicas are small integers here (indexes into the document's replica table) so that hot paths
 * compare numbers, not strings.
 */
export class Run {
  constructor(
    /** Replica index of every character in the run. */
    public replica: number,
    /** Counter of the first character; character k has counter `counter + k`. */
    public counter: number,
    /** Number of characters (UTF-16 code units). */
    public length: number,
    /** The characters; '' once deleted (tombstones keep no content). */
    public text: string,
    public deleted: boolean,
    /** Left origin of the first character (NONE = document start). Later characters' left origin is their predecessor. */
    public leftReplica: number,
    public leftCounter: number,
    /** Right origin shared by every character (NONE = document end). */
    public rightReplica: number,
    public rightCounter: number,
    /** The tree leaf holding this run; kept current by the tree. */
    public leaf: Leaf,
  ) {}

  /** Characters this run contributes to the visible text. */
  get visibleLength(): number {
    return this.deleted ? 0 : this.length;
  }

  /** Counter of the last character. */
  get lastCounter(): number {
    return this.counter + this.length - 1;
  }

  /**
   * Cut this run at `offset` (0 < offset < length): this keeps the first part and the returned run
   * is the rest, whose left origin is the character just before it (that is how it was inserted).
   * The caller puts the returned run into the tree.
   */
  splitAt(offset: number): Run {
    const rest = new Run(
      this.replica,
      this.counter + offset,
      this.length - offset,
      this.deleted ? '' : this.text.slice(offset),
      this.deleted,
      this.replica,
      this.counter + offset - 1,
      this.rightReplica,
      this.rightCounter,
      this.leaf,
    );
    this.length = offset;
    if (!this.deleted) this.text = this.text.slice(0, offset);
    return rest;
  }

  /**
   * True when `next` continues this run exactly as if both had been inserted as one: same replica,
   * next counters, its left origin is this run's last character and the right origins agree.
   * Deleted state is not compared; callers that merge in the tree check it themselves.
   */
  continuedBy(next: Run): boolean {
    return (
      next.replica === this.replica &&
      next.counter === this.counter + this.length &&
      next.leftReplica === this.replica &&
      next.leftCounter === next.counter - 1 &&
      next.rightReplica === this.rightReplica &&
      next.rightCounter === this.rightCounter
    );
  }
}
