import type { ReplicaId } from '../replica-id.ts';

/**
 * The id of one character: the `counter`-th character inserted by `replica` (counters start at 1).
 * Every inserted character consumes one counter value; a run of `n` characters typed together
 * has ids `counter … counter + n - 1`. Deletions consume no counter values.
 */
export interface RgaId {
  readonly replica: ReplicaId;
  readonly counter: number;
}

/** `length` consecutive ids of one replica, starting at `counter`. */
export interface IdRange {
  readonly replica: ReplicaId;
  readonly counter: number;
  readonly length: number;
}

/**
 * Insert `text` as characters `id.counter … id.counter + text.length - 1` of `id.replica`.
 * `left` and `right` are the origins: the items that were immediately left and right of the
 * insertion point in the inserting replica (null = document start / end). The first character
 * goes between them; each further character follows the one before it.
 */
export interface InsertOp {
  readonly kind: 'insert';
  readonly id: RgaId;
  readonly left: RgaId | null;
  readonly right: RgaId | null;
  readonly text: string;
}

/**
 * An insert whose characters have since been deleted, as delta sync sends it: the content was
 * discarded (tombstone policy), only the ids, origins and length remain. Applying it places
 * `length` deleted characters exactly where the original insert put them.
 */
export interface TombstoneOp {
  readonly kind: 'tombstone';
  readonly id: RgaId;
  readonly left: RgaId | null;
  readonly right: RgaId | null;
  readonly length: number;
}

/** Delete the characters with these ids (idempotent: deleting twice is harmless). */
export interface DeleteOp {
  readonly kind: 'delete';
  readonly ranges: readonly IdRange[];
}

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
