import type { ReplicaId } from '../replica-id.ts';

/**
 * The id of one character: the `counter`-th character inserted by `replica` (counters start at 1).
 * Every inserted character consumes one counter value; a run of `n` characters typed together
 * has ids `counter … counter + n - 1`. Deletions consume no counter values.
 */
export interface RgaId {
  /** The replica that inserted the character. */
  readonly replica: ReplicaId;
  /** Which of that replica's inserted characters (1, 2, …). */
  readonly counter: number;
}

/** `length` consecutive ids of one replica, starting at `counter`. */
export interface IdRange {
  /** The replica that inserted the characters. */
  readonly replica: ReplicaId;
  /** The first counter of the range. */
  readonly counter: number;
  /** How many consecutive counters (at least 1). */
  readonly length: number;
}

/**
 * Insert `text` as characters `id.counter … id.counter + text.length - 1` of `id.replica`.
 * `left` and `right` are the origins: the items that were immediately left and right of the
 * insertion point in the inserting replica (null = document start / end). The first character
 * goes between them; each further character follows the one before it.
 *
 * `right` may be `'inherit'`: the right origin is the left origin's own right origin (the left
 * origin must be given). That is what typing on after one's own last character makes, and what an
 * update can send as a flag instead of an id; `Rga.apply` resolves it from the left origin, which
 * a receiver must have anyway.
 */
export interface InsertOp {
  /** Tells the op kinds apart. */
  readonly kind: 'insert';
  /** The id of the first character inserted. */
  readonly id: RgaId;
  /** The character that was just left of the insertion point (null: the document start). */
  readonly left: RgaId | null;
  /**
   * The character that was just right of the insertion point (null: the document end;
   * 'inherit': the left origin's own right origin).
   */
  readonly right: RgaId | null | 'inherit';
  /** The characters inserted (not empty). */
  readonly text: string;
}

/**
 * An insert whose characters have since been deleted, as delta sync sends it: the content was
 * discarded (tombstone policy), only the ids, origins and length remain. Applying it places
 * `length` deleted characters exactly where the original insert put them.
 */
export interface TombstoneOp {
  /** Tells the op kinds apart. */
  readonly kind: 'tombstone';
  /** The id of the first character, as the original insert gave it. */
  readonly id: RgaId;
  /** The original insert's left origin. */
  readonly left: RgaId | null;
  /** The original insert's right origin. */
  readonly right: RgaId | null;
  /** How many deleted characters it places (at least 1). */
  readonly length: number;
}

/** Delete the characters with these ids (idempotent: deleting twice is harmless). */
export interface DeleteOp {
  /** Tells the op kinds apart. */
  readonly kind: 'delete';
  /** The characters deleted, as runs of consecutive ids. */
  readonly ranges: readonly IdRange[];
}

/**
 * Where some of a text's characters are now (`Rga.placesOf`): `length` consecutive ids from
 * `counter` of `replica`, all visible or all deleted. A visible piece starts at visible index
 * `index`; a deleted one sits right after the first `index` visible characters.
 */
export interface IdPlace extends IdRange {
  /** The visible index of the first character, or, for deleted ones, how many visible characters precede them. */
  readonly index: number;
  /** Whether the characters are deleted (tombstones). */
  readonly deleted: boolean;
}

/** What `Rga.insertBefore` did: the operation for the peers and where the text went. */
export interface InsertedBefore {
  /** The insert, an ordinary operation for every other replica. */
  readonly op: InsertOp;
  /** The visible index of the first character typed. */
  readonly index: number;
}

/** Any operation of a text: what `insert`, `delete` and `delta` return and `apply` takes. */
export type RgaOp = InsertOp | TombstoneOp | DeleteOp;

/**
 * Outcome of `Rga.apply`:
 * - `applied`: the operation changed the document (possibly only its not-yet-seen part);
 * - `duplicate`: everything in it was already there, nothing changed;
 * - `missing-dependency`: it refers to ids this document has not seen (an origin, a deleted id, or
 *   an earlier counter of its own replica). Nothing changed; buffer it and retry after more arrives.
 */
export type ApplyResult = 'applied' | 'duplicate' | 'missing-dependency';

/** What a document has seen: per replica, the highest counter (every lower counter is present too). */
export type RgaVersion = Readonly<Record<string, number>>;

/**
 * Where a remote operation changed the visible text: at visible index `index`, `deleted` characters
 * removed (then 0 inserted) or `inserted` text added (then 0 deleted).
 */
export type RemoteEditObserver = (index: number, deleted: number, inserted: string) => void;
