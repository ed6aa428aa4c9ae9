import { DecodeError, isCompact, TypeTag } from '../encoding.ts';
import { replicaId as checkReplicaId, type ReplicaId } from '../replica-id.ts';
import type { Replicated } from '../replicated.ts';
import { computeDelta } from './delta.ts';
import { deleteIntoTombstone } from './edge-delete.ts';
import { IdIndex } from './id-index.ts';
import { imageHolds } from './image-holds.ts';
import { ImageIds } from './image-ids.ts';
import { integrate } from './integrate.ts';
import { checkInvariants } from './invariants.ts';
import { Journal } from './journal.ts';
import {
  decodeRgaOps,
  deleteOpUpdate,
  encodeRgaOp,
  encodeRgaOps,
  INHERITED,
  NO_ORIGIN,
  ownInsertUpdate,
  ownRangeUpdate,
  ownReplacementUpdate,
  typedOnUpdate,
} from './op-codec.ts';
import { NONE, Run } from './run.ts';
import { isSaved, readSaved, weightOf, weightOp, writeSaved } from './saved.ts';
import {
  decodeSnapshot,
  encodeImage,
  encodeSnapshot,
  imageDelta,
  materialize,
  type SnapshotImage,
} from './snapshot.ts';
import { decodeFormat1 } from './snapshot-format-1.ts';
import { LEAF_CAPACITY, type Leaf, RunTree, type TreeNode } from './tree.ts';
import type {
  ApplyResult,
  DeleteOp,
  IdPlace,
  IdRange,
  InsertedBefore,
  InsertOp,
  RemoteEditObserver,
  RgaId,
  RgaOp,
  RgaVersion,
  TombstoneOp,
} from './types.ts';

/**
 * A replicated text (a sequence CRDT) in the RGA family.
 *
 * Algorithm: FugueMax ordering, in the formulation Weidner & Kleppmann's Fugue paper calls
 * "YjsMod" (YATA with two origins, left and right, and the corrected scan). Every inserted character
 * records the characters immediately left and right of it when it was typed; concurrent inserts
 * between the same neighbours are ordered by a scan that compares their origins' positions, ties
 * broken by replica id. Chosen because it is *maximally non-interleaving*: two replicas typing
 * different words at the same spot get one word after the other, never a mix of characters, in
 * both forward and backward typing. Plain RGA interleaves backward typing, and Yjs' original YATA
 * can interleave in some cases.
 *
 * Representation: runs (see run.ts) in an order-statistic B+ tree (tree.ts), so a visible index
 * finds its run in O(log n); a cursor remembers where the last local insert ended, so typing
 * onward appends to the same run in O(1) plus count updates; an id index (id-index.ts) maps ids to
 * runs for remote operations. The id index is built on first use: a document that only ever sees
 * local edits never pays for it.
 *
 * Counters: each inserted character consumes one counter of its replica, starting at 1. Deletes
 * consume none; a delete names the ids it removes, so applying it again changes nothing.
 *
 * Tombstone policy: a deleted character's content is dropped at once; its id, origins and length
 * remain, merged with adjacent deleted characters of the same run, so a deleted word costs one
 * small object. The metadata is kept for the document's lifetime because any replica that has not
 * seen the delete may still insert next to the character, and placing that insert needs its
 * position. Dropping it would need every replica to have acknowledged the delete (causal
 * stability), which this type cannot know; a document layer that knows its replica set could
 * compact below that point.
 *
 * Delta sync: `version()` tells what this document has seen; `delta(version)` returns every
 * operation a document at that version lacks (inserts and tombstones in an order that applies
 * cleanly, plus the deletes of ids it may hold as id ranges, since deletes carry no counters). The
 * document layer may also keep its own log of the ops `insert`/`delete` return and relay them as
 * they are. Both are supported.
 *
 * Positions and lengths are UTF-16 code units, like JavaScript strings.
 */
export class Rga implements Replicated<Rga, RgaOp, string, ApplyResult> {
  /** The replica this document belongs to: its local inserts take this replica's ids. */
  readonly replica: ReplicaId;
  /** Replica table: index → id. Runs store indexes. */
  private readonly replicas: ReplicaId[] = [];
  private readonly replicaIndex = new Map<string, number>();
  /** Highest counter seen, per replica index. */
  private readonly maxCounter: number[] = [];
  /** Index of this document's own replica in the table. */
  private self: number;
  private tree = new RunTree();
  private ids: IdIndex | null = null;
  /**
   * A decoded snapshot not yet turned into runs (see snapshot.ts): reading the text and the version,
   * a delta, a delete of ids it has deleted already and an encode before any change need nothing
   * more; the first edit, insert or other delete applied builds the tree from it.
   */
  private image: SnapshotImage | null = null;
  /** Where the image's ids are, built on the first remote delete while the image lasts. */
  private imageIds: ImageIds | null = null;

  /** The run the last local insert wrote to, its index in its leaf and the visible index after it. */
  private cursorRun: Run | null = null;
  /**
   * Text typed onto `cursorRun` that is not in its `text` yet. Appending keystroke by keystroke to
   * a string builds a chain of cons-strings (one heap object per keystroke, flattened later at
   * O(length) cost); collecting the pieces and joining them once when the cursor moves avoids that.
   */
  private readonly pending: string[] = [];
  /** Characters typed onto `cursorRun` not yet added to the tree's counts (flushed with `pending`). */
  private pendingCount = 0;
  private cursorAt = 0;
  private cursorEnd = 0;
  /** A leaf whose first character is at visible index `cacheStart` (null when unknown). */
  private cacheLeaf: Leaf | null = null;
  private cacheStart = 0;
  /** The visible text, when known. */
  private textCache: string | null = '';
  /**
   * Whether every span's origins follow from document order, so an encode need not derive them to
   * find exceptions (snapshot.ts). True while every insert was a local one (made between neighbours:
   * it knew nothing that now lies between it and its origins, and no earlier span knows it) on a
   * document that had no exceptions and at most one replica's knowledge to trust; a remote insert
   * or an earlier format's snapshot ends it.
   */
  private originsDerived = true;
  /** Told where each remote operation changed the visible text (see `observeRemote`). */
  private remoteObserver: RemoteEditObserver | null = null;
  /**
   * The origins of the last local insert placed by `insertAfter` (replica index and counter each, NONE
   * for none; `placedInherits` when its right origin is its left origin's), from which its op or its
   * update is written (`placedOp`, `placedUpdate`), so that a caller wanting only the bytes builds no op.
   */
  private placedLeftReplica = NONE;
  private placedLeftCounter = 0;
  private placedRightReplica = NONE;
  private placedRightCounter = 0;
  private placedInherits = false;
  /** Where the last delete within one run (`deleteLocal`'s ONE_RUN) began: replica index, counter. */
  private oneRunReplica = 0;
  private oneRunCounter = 0;
  /** What the last `save` wrote, reused by the next one (null: the next one writes a whole snapshot). */
  private saved: SavedState | null = null;
  /** Operations integrated since the last `save`, in order, recorded while `saved` holds (else null). */
  private journal: Journal | null = null;

  constructor(replica: ReplicaId) {
    this.replica = checkReplicaId(replica);
    this.self = this.intern(this.replica);
  }

  /**
   * Have `observer` told, for every operation `apply` integrates, where it changed the visible text:
   * an insertion's visible index and text, or each deleted piece's visible index and length (in the
   * order applied, each against the text the previous left). Local edits are not reported: their
   * caller knows the positions. Pass null to stop. Costs O(log n) per reported piece.
   */
  observeRemote(observer: RemoteEditObserver | null): void {
    this.remoteObserver = observer;
  }

  /** Number of visible characters. */
  get length(): number {
    return this.image === null ? this.tree.visible + this.pendingCount : this.image.text.length;
  }

  /** Build the runs and tree of a lazily decoded snapshot (a no-op otherwise). */
  private load(): void {
    const image = this.image;
    if (image === null) return;
    this.image = null;
    this.imageIds = null;
    this.tree = RunTree.fromRuns(materialize(image));
  }

  toString(): string {
    if (this.textCache !== null) return this.textCache;
    this.flushPending();
    const parts: string[] = [];
    for (let leaf: Leaf | null = this.tree.first; leaf !== null; leaf = leaf.next) {
      for (const run of leaf.runs) if (!run.deleted) parts.push(run.text);
    }
    this.textCache = parts.join('');
    return this.textCache;
  }

  /** What this document has seen: per replica id, the highest counter. */
  version(): RgaVersion {
    const version: Record<string, number> = {};
    this.replicas.forEach((id, r) => {
      const max = this.maxCounter[r] as number;
      if (max > 0) version[id] = max;
    });
    return version;
  }

  // ---------------------------------------------------------------- local edits

  /**
   * Insert `text` before visible index `index` (0 ≤ index ≤ length). Returns the operation to send
   * to other replicas, or null when `text` is empty.
   */
  insert(index: number, text: string): InsertOp | null {
    if (this.image !== null) this.load();
    if (typeof text !== 'string') throw new TypeError('insert: text must be a string');
    const cursor = this.cursorRun;
    // Typing on from the last insert (most keystrokes): grow that run. `cursorEnd` is a valid index.
    if (cursor !== null && index === this.cursorEnd && text.length > 0) {
      const typed = typedOn(this.replica, this.typeOn(cursor, text, text.length), text);
      if (this.journal !== null) this.record(typed);
      return typed;
    }
    const counter = this.insertElsewhere(index, text);
    if (counter === 0) return null;
    const op = this.placedOp(counter, text);
    if (this.journal !== null) this.record(op);
    return op;
  }

  /**
   * `encodeRgaOp(insert(index, text))`, byte for byte, for a caller that sends the update and has no
   * use for the op: a character typed on is written from the cursor run's counter with no op object
   * (most keystrokes); anything else encodes the op `insert` would return. Null when `text` is empty.
   * The op, when someone wants it after all, is `decodeRgaOps(update)[0]` (equal to `insert`'s). It
   * does not call `insert`, so a caller of this alone compiles one typing path, not two.
   */
  insertUpdate(index: number, text: string): Uint8Array | null {
    if (this.image !== null) this.load();
    if (typeof text !== 'string') throw new TypeError('insert: text must be a string');
    // The text's length is read here, once, for every insert: this load's type feedback has seen
    // pasted text (another kind of string than a typed character) long before the first paste is
    // typed on, where a load of its own in the typing path would throw the optimized code away.
    const n = text.length;
    const cursor = this.cursorRun;
    if (cursor !== null && index === this.cursorEnd && n > 0) {
      const counter = this.typeOn(cursor, text, n);
      // Saving incrementally records ops: typed on the last recorded insert, it grows that one.
      if (this.journal !== null) this.recordTypedOn(counter, text);
      return typedOnUpdate(this.replica, counter, text) ?? encodeRgaOp(typedOn(this.replica, counter, text));
    }
    const placed = this.insertElsewhere(index, text);
    if (placed === 0) return null;
    if (this.journal !== null) this.record(this.placedOp(placed, text));
    return this.placedUpdate(placed, text);
  }

  /**
   * A splice as its update: delete `deleted` visible characters at `index`, then insert `text` there.
   * The bytes are `encodeRgaOps` of the ops `delete` and `insert` would return, in that order, leaving
   * out a null one (a typed character or a backspace alone takes `insertUpdate`'s or `deleteUpdate`'s
   * op-free path); null when nothing changes. Arguments are checked before anything changes.
   */
  editUpdate(index: number, deleted: number, text: string): Uint8Array | null {
    if (deleted === 0) return this.insertUpdate(index, text);
    if (typeof text !== 'string') throw new TypeError('insert: text must be a string');
    if (text.length === 0) return this.deleteUpdate(index, deleted);
    // deleted ≠ 0: a delete op, or a RangeError before anything changed.
    let del = this.deleteLocal(index, deleted) as DeleteOp;
    if (del === ONE_RUN) del = this.oneRunOp(deleted);
    if (this.journal !== null) this.record(del);
    // After a delete nothing types on (the cursor run is gone): the insert goes where it is.
    const counter = this.insertElsewhere(index, text);
    if (this.journal !== null) this.record(this.placedOp(counter, text));
    if (this.placedOwn()) {
      const bytes = ownReplacementUpdate(
        del.ranges,
        this.replica,
        counter,
        text,
        this.placedLeft(),
        this.placedRight(),
      );
      if (bytes !== null) return bytes;
    }
    return encodeRgaOps([del, this.placedOp(counter, text)]);
  }

  /**
   * An insert that does not type on (a jump, an insert after anything but the cursor run); returns
   * its first counter (its origins are left in the `placed…` fields), or 0 when `text` is empty.
   */
  private insertElsewhere(index: number, text: string): number {
    this.flushPending();
    this.checkIndex(index, 'insert', this.tree.visible);
    const n = text.length;
    if (n === 0) return 0;
    const self = this.self;
    const counter = (this.maxCounter[self] as number) + 1;
    if (!Number.isSafeInteger(counter + n)) throw new RangeError('insert: counters exhausted');
    this.maxCounter[self] = counter + n - 1;
    this.textCache = null;
    this.insertAt(index, text, counter);
    return counter;
  }

  /** The op of the insert of `text` at `counter` that `insertAfter` placed last. */
  private placedOp(counter: number, text: string): InsertOp {
    return {
      kind: 'insert',
      id: { replica: this.replica, counter },
      left: this.originId(this.placedLeftReplica, this.placedLeftCounter),
      right: this.placedInherits
        ? 'inherit'
        : this.originId(this.placedRightReplica, this.placedRightCounter),
      text,
    };
  }

  /** Whether the last placed insert's origins are all this replica's own (or none, or inherited). */
  private placedOwn(): boolean {
    const self = this.self;
    const left = this.placedLeftReplica;
    const right = this.placedRightReplica;
    return (left === NONE || left === self) && (this.placedInherits || right === NONE || right === self);
  }

  /** The last placed insert's left origin as the op-free writers take it: its counter or NO_ORIGIN. */
  private placedLeft(): number {
    return this.placedLeftReplica === NONE ? NO_ORIGIN : this.placedLeftCounter;
  }

  /** Its right origin likewise: INHERITED, NO_ORIGIN or the counter. */
  private placedRight(): number {
    if (this.placedInherits) return INHERITED;
    return this.placedRightReplica === NONE ? NO_ORIGIN : this.placedRightCounter;
  }

  /**
   * `encodeRgaOp(placedOp(counter, text))`, byte for byte, without the op when its origins are this
   * replica's own and the text takes the fast path (ASCII, not too long).
   */
  private placedUpdate(counter: number, text: string): Uint8Array {
    if (this.placedOwn()) {
      const bytes = ownInsertUpdate(this.replica, counter, text, this.placedLeft(), this.placedRight());
      if (bytes !== null) return bytes;
    }
    return encodeRgaOp(this.placedOp(counter, text));
  }

  /**
   * Typing on from the last insert: grow the cursor run by `text` (`n` long; `cursorEnd` was the index); returns
   * the first new counter. The cursor run ends with our latest character; the text and the tree's
   * counts catch up when anything else happens (flushPending), so a keystroke touches only the run.
   */
  private typeOn(cursor: Run, text: string, n: number): number {
    const counter = cursor.counter + cursor.length;
    if (counter + n > Number.MAX_SAFE_INTEGER) throw new RangeError('insert: counters exhausted');
    this.maxCounter[this.self] = counter + n - 1;
    this.textCache = null;
    cursor.length += n;
    this.pending.push(text);
    this.pendingCount += n;
    this.cursorEnd += n;
    return counter;
  }

  /**
   * Move typed-ahead text into the cursor run and its count into the tree; every path but typing-on
   * calls this before it reads the tree.
   */
  private flushPending(): void {
    const pending = this.pending;
    if (pending.length === 0) return;
    const run = this.cursorRun as Run;
    run.text += pending.length === 1 ? (pending[0] as string) : pending.join('');
    pending.length = 0;
    this.tree.addCounts(run.leaf, this.pendingCount, this.pendingCount);
    this.pendingCount = 0;
  }

  /**
   * Insert `text` right before the character `id` (visible or deleted), after whatever is just before
   * it: undo types deleted text back where its tombstones sit, so text deleted next to it and typed
   * back later keeps its order. Returns the operation and the visible index it went to, or null when
   * `text` is empty. O(log n) once the id index is built. Throws RangeError for an id not seen here.
   */
  insertBefore(id: RgaId, text: string): InsertedBefore | null {
    checkId(id, 'insertBefore id');
    if (typeof text !== 'string') throw new TypeError('insertBefore: text must be a string');
    if (id.counter > this.seen(id.replica))
      throw new RangeError(`insertBefore: no character ${id.counter} of ${id.replica}`);
    this.load();
    this.flushPending();
    const n = text.length;
    if (n === 0) return null;
    const counter = (this.maxCounter[this.self] as number) + 1;
    if (!Number.isSafeInteger(counter + n)) throw new RangeError('insert: counters exhausted');
    const target = this.replicaIndex.get(id.replica) as number;
    let run = this.idIndex().get(target, id.counter);
    const leaf = run.leaf;
    let at = leaf.runs.indexOf(run);
    // The cursor run may be the one split: typing on must not grow the wrong half.
    this.cursorRun = null;
    if (id.counter > run.counter) {
      run = this.splitInLeaf(leaf, at, id.counter - run.counter);
      at++;
    }
    const index = this.visibleIndexOf(run);
    let start = index;
    for (let i = 0; i < at; i++) {
      const other = leaf.runs[i] as Run;
      if (!other.deleted) start -= other.length;
    }
    let prev: Run | null;
    if (at > 0) prev = leaf.runs[at - 1] as Run;
    else {
      const before = leaf.prev;
      prev = before === null ? null : (before.runs[before.runs.length - 1] as Run);
    }
    this.maxCounter[this.self] = counter + n - 1;
    this.textCache = null;
    this.insertAfter(prev, leaf, at, start, index, text, counter, run.replica, run.counter);
    const op = this.placedOp(counter, text);
    // Typing on grows a run only up to a visible right origin (a plain insert there goes past tombstones).
    if (run.deleted) this.cursorRun = null;
    if (this.journal !== null) this.record(op);
    return { op, index };
  }

  /**
   * The general local insert: find the spot (splitting the run it falls in), then insert after the
   * run before it. At the end of the text the same code runs with no run after the spot, so no
   * branch is first taken after this function is optimized (that would throw the code away).
   */
  private insertAt(index: number, text: string, counter: number): void {
    // Right before visible character `index`, after any tombstones that precede it; at the end,
    // after everything, tombstones included, with no right origin.
    const leaf = this.locate(index);
    const runs = leaf.runs;
    let offset = index - this.cacheStart;
    let at = 0;
    let rightReplica = NONE;
    let rightCounter = 0;
    for (; at < runs.length; at++) {
      const run = runs[at] as Run;
      if (!run.deleted) {
        if (offset < run.length) {
          rightReplica = run.replica;
          rightCounter = run.counter;
          break;
        }
        offset -= run.length;
      }
    }
    if (offset > 0) {
      // Inside a run: split it and insert between the halves, which is inserting after the first
      // half before the rest's first character (its right origin is never the run's own). One path
      // to insertAfter and finishInsert, so V8 compiles one copy of each into this function.
      rightCounter += offset;
      this.splitInLeaf(leaf, at, offset);
      at++;
    }
    // The run before: in this leaf, or the last of the previous one (none at the document's start).
    // Every load runs on every call, so none lacks type feedback when the leaf's first insert comes
    // after V8 optimized this function (that threw the code away).
    const before = leaf.prev;
    const holder = at > 0 ? leaf : before;
    const prev = holder === null ? null : (holder.runs[(at > 0 ? at : holder.runs.length) - 1] as Run);
    this.insertAfter(prev, leaf, at, this.cacheStart, index, text, counter, rightReplica, rightCounter);
  }

  /**
   * Insert at run index `at` of `leaf` (whose first character is at visible index `start`), after
   * run `prev` and before the run with the given right origin: extend `prev` when it is our own
   * latest run with the same right origin, otherwise add a run. The origins go to the `placed…`
   * fields (`inherits` when the left origin's right origin is the insert's too: the op then says so
   * instead of naming it).
   */
  private insertAfter(
    prev: Run | null,
    leaf: Leaf,
    at: number,
    start: number,
    index: number,
    text: string,
    counter: number,
    rightReplica: number,
    rightCounter: number,
  ): void {
    const n = text.length;
    const leftReplica = prev === null ? NONE : prev.replica;
    const leftCounter = prev === null ? 0 : prev.counter + prev.length - 1;
    // One call of finishInsert for all three cases: V8 inlines it at every hot call site, and each
    // copy is compiled again (here and in insertAt, which inlines this).
    let written: Run;
    let inherits: boolean;
    if (
      prev !== null &&
      prev.replica === this.self &&
      !prev.deleted &&
      prev.counter + prev.length === counter &&
      prev.rightReplica === rightReplica &&
      prev.rightCounter === rightCounter
    ) {
      // The character before is our own latest one with the same right neighbour: same run.
      prev.length += n;
      prev.text += text;
      this.tree.addCounts(prev.leaf, n, n);
      written = prev;
      inherits = true;
      if (prev.leaf === leaf) at--;
      else {
        // It ends the previous leaf, which starts where `leaf` started minus its (old) visible count.
        leaf = prev.leaf;
        start -= leaf.visible - n;
        at = leaf.runs.length - 1;
      }
    } else {
      written = new Run(
        this.self,
        counter,
        n,
        text,
        false,
        leftReplica,
        leftCounter,
        rightReplica,
        rightCounter,
        leaf,
      );
      this.tree.insertRun(leaf, at, written);
      if (this.ids !== null) this.ids.add(written);
      // After a run whose right origin is ours too (typing after a backspace, or at a word's end).
      inherits = prev !== null && prev.rightReplica === rightReplica && prev.rightCounter === rightCounter;
    }
    this.placedLeftReplica = leftReplica;
    this.placedLeftCounter = leftCounter;
    this.placedRightReplica = rightReplica;
    this.placedRightCounter = rightCounter;
    this.placedInherits = inherits;
    this.finishInsert(written, leaf, at, start, index + n);
  }

  /**
   * Update the caches after a general insert (its origins are in the `placed…` fields).
   */
  private finishInsert(written: Run, leaf: Leaf, at: number, leafStart: number, end: number): void {
    if (leaf.runs.length > LEAF_CAPACITY) {
      this.tree.fixOverflow(leaf);
      at = written.leaf.runs.indexOf(written);
    }
    this.cursorRun = written;
    this.cursorAt = at;
    this.cursorEnd = end;
    // Typing on may grow `written`: every insert path leaves it right before its right origin (or
    // at the end with none), and any other edit resets the cursor (assertInvariants checks this).
    // A leaf split keeps the leaf's start; the cache check uses its (smaller) visible count.
    this.cacheLeaf = leaf;
    this.cacheStart = leafStart;
  }

  /** An origin as an op names it (replica id, not table index); null for NONE. */
  private originId(replica: number, counter: number): RgaId | null {
    return replica === NONE ? null : { replica: this.replicas[replica] as ReplicaId, counter };
  }

  /**
   * Delete `length` visible characters starting at visible index `index`. Returns the operation
   * (the deleted ids as ranges), or null when `length` is 0.
   */
  delete(index: number, length: number): DeleteOp | null {
    let op = this.deleteLocal(index, length);
    if (op === ONE_RUN) op = this.oneRunOp(length);
    if (op !== null && this.journal !== null) this.record(op);
    return op;
  }

  /**
   * `encodeRgaOp(delete(index, length))`, byte for byte, for a caller that sends the update and has
   * no use for the op: a delete within one run (a backspace) is written from that run's ids with no
   * op object; any other encodes the op `delete` builds. Null when `length` is 0. The op, when
   * someone wants it after all, is `decodeRgaOps(update)[0]`.
   */
  deleteUpdate(index: number, length: number): Uint8Array | null {
    const op = this.deleteLocal(index, length);
    if (op === null) return null;
    if (op !== ONE_RUN) {
      if (this.journal !== null) this.record(op);
      return deleteOpUpdate(op);
    }
    if (this.journal !== null) this.record(this.oneRunOp(length));
    const replica = this.replicas[this.oneRunReplica] as ReplicaId;
    return ownRangeUpdate(replica, this.oneRunCounter, length) ?? encodeRgaOp(this.oneRunOp(length));
  }

  /**
   * The delete both `delete` and `deleteUpdate` make: its op, null for nothing deleted, or ONE_RUN for
   * ids of one run (its replica and first counter left in `oneRunReplica`/`oneRunCounter`), so that
   * `deleteUpdate` builds no op for a backspace or any other delete within one run.
   */
  private deleteLocal(index: number, length: number): DeleteOp | null {
    this.load();
    this.flushPending();
    const visible = this.tree.visible;
    this.checkIndex(index, 'delete', visible);
    if (!Number.isSafeInteger(length) || length < 0 || index + length > visible) {
      throw new RangeError(`delete: length ${length} at ${index} is outside the text (length ${visible})`);
    }
    if (length === 0) return null;
    this.textCache = null;
    this.cursorRun = null;
    const leaf = this.locate(index);
    let offset = index - this.cacheStart;
    let at = 0;
    let run: Run;
    for (; ; at++) {
      run = leaf.runs[at] as Run;
      if (!run.deleted) {
        if (offset < run.length) break;
        offset -= run.length;
      }
    }
    if (offset + length <= run.length) {
      // Within one run (nearly every local delete): no op, its update is written from the run's ids.
      this.oneRunReplica = run.replica;
      this.oneRunCounter = run.counter + offset;
      if (this.ids !== null || !deleteIntoTombstone(this.tree, leaf, at, offset, length)) {
        this.deletePiece(leaf, at, offset, length, true);
        this.tree.fixOverflow(leaf);
      }
      return ONE_RUN;
    }
    return this.deleteFrom(leaf, at, offset, length);
  }

  /** The op of the delete `deleteLocal` answered with ONE_RUN. */
  private oneRunOp(length: number): DeleteOp {
    const replica = this.replicas[this.oneRunReplica] as ReplicaId;
    return { kind: 'delete', ranges: [{ replica, counter: this.oneRunCounter, length }] };
  }

  /** The general local delete of `length` visible characters from `offset` in run `at` of `first`. */
  private deleteFrom(first: Leaf, at: number, offset: number, length: number): DeleteOp {
    const replicas = this.replicas;
    const ranges: { replica: ReplicaId; counter: number; length: number }[] = [];
    let lastRange: { replica: ReplicaId; counter: number; length: number } | null = null;
    let leaf = first;
    let remaining = length;
    for (;;) {
      const run = leaf.runs[at] as Run;
      if (!run.deleted) {
        const take = Math.min(run.length - offset, remaining);
        const replica = replicas[run.replica] as ReplicaId;
        const counter = run.counter + offset;
        if (
          lastRange !== null &&
          lastRange.replica === replica &&
          lastRange.counter + lastRange.length === counter
        ) {
          lastRange.length += take;
        } else {
          lastRange = { replica, counter, length: take };
          ranges.push(lastRange);
        }
        remaining -= take;
        at = this.deletePiece(leaf, at, offset, take, remaining === 0);
        if (remaining === 0) break;
        offset = 0;
      }
      at++;
      if (at === leaf.runs.length) {
        leaf = leaf.next as Leaf;
        at = 0;
      }
    }
    this.tree.fixOverflow(leaf);
    if (leaf !== first) this.tree.fixOverflow(first);
    return { kind: 'delete', ranges };
  }

  /**
   * Delete characters `offset … offset + length - 1` of the visible run at `at` of `leaf`: split them
   * off, mark them and fold them into a tombstone of the same run right before them, and when `last`
   * (the delete ends here) into one right after them too. Returns the index of the tombstone now
   * holding them. Counts are updated; the caller fixes the leaf's overflow. One function for a
   * delete within a run and each piece of a longer one, so the hot one-run path and the rare
   * multi-run path share their compiled code.
   */
  private deletePiece(leaf: Leaf, at: number, offset: number, length: number, last: boolean): number {
    const runs = leaf.runs;
    const ids = this.ids;
    let run = runs[at] as Run;
    if (offset > 0) {
      run = this.splitInLeaf(leaf, at, offset);
      at++;
    }
    if (length < run.length) this.splitInLeaf(leaf, at, length);
    run.deleted = true;
    run.text = '';
    const before = at > 0 ? (runs[at - 1] as Run) : null;
    if (before?.deleted && before.continuedBy(run)) {
      before.length += length;
      runs.splice(at, 1);
      if (ids !== null) ids.remove(run);
      at--;
      run = before;
    }
    const after = last ? runs[at + 1] : undefined;
    if (after?.deleted && run.continuedBy(after)) {
      run.length += after.length;
      runs.splice(at + 1, 1);
      if (ids !== null) ids.remove(after);
    }
    this.tree.addCounts(leaf, 0 - length, 0);
    return at;
  }

  /** The leaf holding visible character `index` (the last leaf for the end); its start goes to `cacheStart`. */
  private locate(index: number): Leaf {
    const cached = this.cacheLeaf;
    if (cached !== null && index >= this.cacheStart && index < this.cacheStart + cached.visible)
      return cached;
    const leaf = this.tree.findVisible(index);
    this.cacheLeaf = leaf;
    this.cacheStart = this.tree.foundStart;
    return leaf;
  }

  private checkIndex(index: number, what: string, max: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || index > max) {
      throw new RangeError(`${what}: index ${index} is outside the text (length ${max})`);
    }
  }

  // ---------------------------------------------------------------- remote operations

  /**
   * Apply an operation from any replica (our own included; re-applying is harmless).
   * Returns 'missing-dependency', changing nothing, when it refers to ids not seen yet: an earlier
   * counter of its replica, an origin, or a deleted id. The caller buffers it and retries later.
   * Throws TypeError/RangeError for a malformed operation.
   */
  apply(op: RgaOp): ApplyResult {
    const result = this.applyOne(op);
    if (result === 'applied' && this.journal !== null) this.record(op);
    return result;
  }

  private applyOne(op: RgaOp): ApplyResult {
    if (op === null || typeof op !== 'object') throw new TypeError('apply: operation must be an object');
    switch (op.kind) {
      case 'insert':
        if (typeof op.text !== 'string' || op.text.length === 0) {
          throw new TypeError('apply: insert text must be a non-empty string');
        }
        this.load();
        return this.applyInsert(op, op.text, op.text.length);
      case 'tombstone':
        if (!Number.isSafeInteger(op.length) || op.length < 1) {
          throw new RangeError('apply: tombstone length must be a positive integer');
        }
        this.load();
        return this.applyInsert(op, null, op.length);
      case 'delete':
        return this.applyDelete(op.ranges);
      default:
        throw new TypeError(`apply: unknown operation kind ${String((op as { kind: unknown }).kind)}`);
    }
  }

  /** Apply ops in order, retrying those that wait for others; returns the ones still not ready. */
  applyAll(ops: readonly RgaOp[]): RgaOp[] {
    return this.applyWhenReady(ops).waiting;
  }

  /** `applyAll`, also telling whether any op changed the document. */
  private applyWhenReady(ops: readonly RgaOp[]): { waiting: RgaOp[]; changed: boolean } {
    let pending: readonly RgaOp[] = ops;
    let changed = false;
    for (;;) {
      const waiting: RgaOp[] = [];
      for (const op of pending) {
        const result = this.apply(op);
        if (result === 'missing-dependency') waiting.push(op);
        else if (result === 'applied') changed = true;
      }
      if (waiting.length === 0 || waiting.length === pending.length) return { waiting, changed };
      pending = waiting;
    }
  }

  private applyInsert(op: InsertOp | TombstoneOp, text: string | null, length: number): ApplyResult {
    const { id, left, right } = op;
    checkId(id, 'id');
    const known = this.seen(id.replica);
    if (!Number.isSafeInteger(id.counter + length)) throw new RangeError('apply: counters overflow');
    const last = id.counter + length - 1;
    if (last <= known) return 'duplicate';
    if (id.counter > known + 1) return 'missing-dependency';
    let leftReplica = NONE;
    let leftCounter = 0;
    let rightReplica = NONE;
    let rightCounter = 0;
    if (left !== null) {
      checkId(left, 'left origin');
      leftReplica = this.replicaIndex.get(left.replica) ?? NONE;
      if (leftReplica === NONE || left.counter > (this.maxCounter[leftReplica] as number))
        return 'missing-dependency';
      leftCounter = left.counter;
    }
    if (right === 'inherit') {
      if (leftReplica === NONE) throw new TypeError('apply: an inherited right origin needs a left origin');
      const origin = this.idIndex().get(leftReplica, leftCounter);
      rightReplica = origin.rightReplica;
      rightCounter = origin.rightCounter;
    } else if (right !== null) {
      checkId(right, 'right origin');
      rightReplica = this.replicaIndex.get(right.replica) ?? NONE;
      if (rightReplica === NONE || right.counter > (this.maxCounter[rightReplica] as number)) {
        return 'missing-dependency';
      }
      rightCounter = right.counter;
    }
    const replica = this.intern(id.replica);
    let counter = id.counter;
    if (counter <= known) {
      // We have the start already: apply the rest, which continues from the last id we have.
      const skip = known + 1 - counter;
      counter += skip;
      length -= skip;
      if (text !== null) text = text.slice(skip);
      leftReplica = replica;
      leftCounter = counter - 1;
    }
    const placement = { tree: this.tree, ids: this.idIndex(), replicas: this.replicas };
    this.invalidateCaches();
    this.originsDerived = false;
    integrate(
      placement,
      replica,
      counter,
      length,
      text,
      leftReplica,
      leftCounter,
      rightReplica,
      rightCounter,
    );
    this.maxCounter[replica] = last;
    if (text !== null && this.remoteObserver !== null) {
      const run = this.idIndex().get(replica, counter);
      this.remoteObserver(this.visibleIndexOf(run) + (counter - run.counter), 0, text);
    }
    return 'applied';
  }

  private applyDelete(ranges: readonly IdRange[]): ApplyResult {
    if (!Array.isArray(ranges)) throw new TypeError('apply: delete ranges must be an array');
    for (const range of ranges) {
      checkId(range, 'delete range');
      if (
        !Number.isSafeInteger(range.length) ||
        range.length < 1 ||
        !Number.isSafeInteger(range.counter + range.length)
      ) {
        throw new RangeError('apply: delete range length must be a positive integer');
      }
      if (range.counter + range.length - 1 > this.seen(range.replica)) return 'missing-dependency';
    }
    // A decoded snapshot not built yet: a delete of ids it has deleted already (what a delta from a
    // replica in sync names) changes nothing, and the columns tell without building the tree.
    if (this.image !== null) {
      if (this.imageDeletes(ranges)) return 'duplicate';
      this.load();
    }
    const tree = this.tree;
    let changed = false;
    for (const range of ranges) {
      const replica = this.replicaIndex.get(range.replica) as number;
      const end = range.counter + range.length;
      for (let counter = range.counter; counter < end; ) {
        const ids = this.idIndex();
        let run = ids.get(replica, counter);
        const runEnd = run.counter + run.length;
        if (run.deleted) {
          counter = runEnd;
          continue;
        }
        if (!changed) {
          changed = true;
          this.invalidateCaches();
        }
        if (counter > run.counter) {
          run = this.splitInLeaf(run.leaf, run.leaf.runs.indexOf(run), counter - run.counter);
        }
        if (end < runEnd) this.splitInLeaf(run.leaf, run.leaf.runs.indexOf(run), end - counter);
        if (this.remoteObserver !== null) this.remoteObserver(this.visibleIndexOf(run), run.length, '');
        run.deleted = true;
        run.text = '';
        tree.addCounts(run.leaf, -run.length, 0);
        counter = run.counter + run.length;
        this.foldTombstone(run);
        tree.fixOverflow(run.leaf);
      }
    }
    return changed ? 'applied' : 'duplicate';
  }

  /** Whether every id `ranges` name is deleted in the image already. */
  private imageDeletes(ranges: readonly IdRange[]): boolean {
    const image = this.image as SnapshotImage;
    this.imageIds ??= ImageIds.build(image);
    for (const range of ranges) {
      if (
        !this.imageIds.allDeleted(this.replicaIndex.get(range.replica) as number, range.counter, range.length)
      )
        return false;
    }
    return true;
  }

  /** The visible index of a run's first character: its place in its leaf, then a walk to the root. */
  private visibleIndexOf(run: Run): number {
    let index = 0;
    for (const other of run.leaf.runs) {
      if (other === run) break;
      if (!other.deleted) index += other.length;
    }
    let node: TreeNode = run.leaf;
    for (let parent = node.parent; parent !== null; node = parent, parent = parent.parent) {
      for (const child of parent.children) {
        if (child === node) break;
        index += child.visible;
      }
    }
    return index;
  }

  /** Split the run at index `at` of `leaf` at `offset`, the rest right after it (counts unchanged); returns the rest. */
  private splitInLeaf(leaf: Leaf, at: number, offset: number): Run {
    const rest = (leaf.runs[at] as Run).splitAt(offset);
    leaf.runs.splice(at + 1, 0, rest);
    if (this.ids !== null) this.ids.add(rest);
    return rest;
  }

  /** Merge a fresh tombstone with tombstones of the same run next to it in its leaf. */
  private foldTombstone(run: Run): void {
    const runs = run.leaf.runs;
    let at = runs.indexOf(run);
    const before = at > 0 ? (runs[at - 1] as Run) : null;
    if (before?.deleted && before.continuedBy(run)) {
      before.length += run.length;
      runs.splice(at, 1);
      this.ids?.remove(run);
      run = before;
      at--;
    }
    const after = runs[at + 1];
    if (after?.deleted && run.continuedBy(after)) {
      run.length += after.length;
      runs.splice(at + 1, 1);
      this.ids?.remove(after);
    }
  }

  /**
   * Where the characters `ranges` name are now, piece by piece (in the order of `ranges`, each range's
   * pieces by counter): visible ones at their visible index, deleted ones where their tombstones sit.
   * For undo: deleting exactly the characters an insert made, or typing deleted text back where it
   * was. O(pieces · log n), once the id index is built (O(n), on first use). Throws RangeError for ids
   * this document has not seen.
   */
  placesOf(ranges: readonly IdRange[]): IdPlace[] {
    this.load();
    this.flushPending();
    const places: IdPlace[] = [];
    for (const range of ranges) {
      checkId(range, 'placesOf range');
      const end = range.counter + range.length;
      if (!Number.isSafeInteger(range.length) || range.length < 1 || end - 1 > this.seen(range.replica))
        throw new RangeError(
          `placesOf: ids ${range.counter}+${range.length} of ${range.replica} are not here`,
        );
      const replica = this.replicaIndex.get(range.replica) as number;
      for (let counter = range.counter; counter < end; ) {
        const run = this.idIndex().get(replica, counter);
        const pieceEnd = Math.min(end, run.counter + run.length);
        const index = this.visibleIndexOf(run) + (run.deleted ? 0 : counter - run.counter);
        places.push({
          replica: range.replica,
          counter,
          length: pieceEnd - counter,
          index,
          deleted: run.deleted,
        });
        counter = pieceEnd;
      }
    }
    return places;
  }

  // ---------------------------------------------------------------- delta sync

  /**
   * Every operation a document that has seen `since` lacks: inserts (tombstones for text deleted
   * since) in an order `apply` accepts one after another, then one delete op naming, as ranges, the
   * deleted ids among those `since` covers. Deletes carry no counters, so whether the receiver saw
   * a delete is unknown: every deleted id it may hold is named; ids it lacks arrive as tombstones.
   */
  delta(since: RgaVersion = {}): RgaOp[] {
    if (since === null || typeof since !== 'object') throw new TypeError('delta: version must be an object');
    // A decoded snapshot answers from its runs alone, without building the tree: a merge or a
    // state transfer reads a received document once.
    if (this.image !== null) return imageDelta(this.image, this.replicas, since);
    this.flushPending();
    const runs: Run[] = [];
    for (let leaf: Leaf | null = this.tree.first; leaf !== null; leaf = leaf.next) {
      for (const run of leaf.runs) runs.push(run);
    }
    return computeDelta(runs, this.replicas, since);
  }

  // ---------------------------------------------------------------- snapshots

  /** The whole document as bytes (see snapshot.ts for the format). */
  encode(): Uint8Array {
    // A decoded document not changed since is encoded from its columns, without building its tree.
    if (this.image !== null) return encodeImage(this.image);
    this.flushPending();
    return encodeSnapshot(this.replicas, this.tree, this.originsDerived, this.textCache);
  }

  /**
   * The whole document as bytes `decode` reads back into the document `encode()` describes, for a
   * store that saves the same document again and again: after the first call (a whole snapshot, as
   * `encode()` writes), the bytes are that snapshot as it was and the operations integrated since,
   * each save encoding only those since the one before (rga/saved.ts), until they are many
   * (`savedTailLimit`); then a whole snapshot again. So saving every k edits costs O(k) most of the
   * time and a whole encode now and then, O(1) per edit over time, where `encode()` is O(document)
   * per save. The bytes are not canonical (equal documents may save differently): peers get `encode()`.
   */
  save(): Uint8Array {
    const saved = this.saved;
    const journal = this.journal;
    if (saved === null || journal === null) {
      const base = this.encode();
      this.saved = { base, chunks: [], ops: 0, recorded: 0, limit: savedTailLimit(this.maxCounter) };
      this.journal = new Journal();
      return base.slice();
    }
    if (journal.length > 0) {
      const ops = journal.take();
      saved.ops += weightOf(ops);
      saved.recorded = 0;
      // Past the limit: a whole snapshot now (recording starts over from it).
      if (saved.ops > saved.limit) {
        this.saved = null;
        this.journal = null;
        return this.save();
      }
      saved.chunks.push(encodeRgaOps(ops));
    }
    return saved.chunks.length === 0 ? saved.base.slice() : writeSaved(saved);
  }

  /** Record an operation integrated since the last save (its `weightOp` counts toward the limit). */
  private record(op: RgaOp): void {
    (this.journal as Journal).record(op);
    this.noteRecorded(weightOp(op));
  }

  /**
   * `record(typedOn(this.replica, counter, text))`: the op is built only when it does not go on
   * the last recorded insert (most keystrokes do).
   */
  private recordTypedOn(counter: number, text: string): void {
    const journal = this.journal as Journal;
    if (!journal.typedOn(this.replica, counter, text)) journal.record(typedOn(this.replica, counter, text));
    this.noteRecorded(1);
  }

  /** Count a recorded op's weight toward the limit. */
  private noteRecorded(weight: number): void {
    const saved = this.saved as SavedState;
    saved.recorded += weight;
    if (saved.ops + saved.recorded > saved.limit) {
      // Too many to replay on decode even before they are coalesced: the next save writes a whole
      // snapshot; stop recording till then.
      this.saved = null;
      this.journal = null;
    }
  }

  /**
   * A document for replica `replica` from `encode()` or `save()` bytes (its own earlier state or
   * anyone's), in the current format or an earlier one. Throws DecodeError for malformed bytes. The
   * bytes are checked in full here; the runs are built on first need (at once when `save()` wrote
   * operations after the snapshot: they are applied here).
   */
  static decode(bytes: Uint8Array, replica: ReplicaId): Rga {
    if (isSaved(bytes)) return Rga.decodeSaved(bytes, replica);
    const compact = isCompact(bytes, TypeTag.RgaDocument);
    const image = compact ? decodeSnapshot(bytes) : decodeFormat1(bytes);
    const doc = new Rga(replica);
    // Our constructor interned `replica` at 0; rebuild the table from the image, then add ourselves.
    doc.replicas.length = 0;
    doc.replicaIndex.clear();
    doc.maxCounter.length = 0;
    image.replicas.forEach((id, r) => {
      doc.replicas.push(id);
      doc.replicaIndex.set(id, r);
      doc.maxCounter.push(image.maxCounters[r] as number);
    });
    doc.self = doc.intern(doc.replica);
    // Knowledge decoded from several replicas may hold more than the least the encoder derives, and
    // a format 1 snapshot's origins were stored: either may need exceptions once re-encoded.
    if ('runs' in image) {
      doc.tree = RunTree.fromRuns(image.runs);
      doc.originsDerived = false;
    } else {
      doc.image = image;
      doc.originsDerived = image.replicas.length <= 1 && image.exceptions.length === 0;
    }
    doc.textCache = image.text;
    return doc;
  }

  /** `save()` bytes: the snapshot, then every operation after it, each of which must apply. */
  private static decodeSaved(bytes: Uint8Array, replica: ReplicaId): Rga {
    const { base, chunks, chunkOffsets } = readSaved(bytes);
    const doc = Rga.decode(base, replica);
    let ops = 0;
    chunks.forEach((chunk, i) => {
      const offset = chunkOffsets[i] as number;
      let decoded: RgaOp[];
      try {
        decoded = decodeRgaOps(chunk);
      } catch (error) {
        throw new DecodeError(`saved operations: ${(error as Error).message}`, offset);
      }
      for (const op of decoded) {
        let result: ApplyResult;
        try {
          result = doc.apply(op);
        } catch (error) {
          throw new DecodeError(`saved operation: ${(error as Error).message}`, offset);
        }
        if (result === 'missing-dependency')
          throw new DecodeError('a saved operation refers to text the document lacks', offset);
      }
      ops += weightOf(decoded);
    });
    // Saving on from here reuses these bytes, unless replaying them is already as much as is allowed.
    const limit = savedTailLimit(doc.maxCounter);
    if (ops <= limit) {
      doc.saved = { base, chunks: [...chunks], ops, recorded: 0, limit };
      doc.journal = new Journal();
    }
    return doc;
  }

  // ---------------------------------------------------------------- as a Replicated type

  /** The visible text (the same as `toString()`). */
  value(): string {
    return this.toString();
  }

  /**
   * Join another document (any replica's, e.g. decoded from its `encode()` bytes): apply every
   * operation it holds that this one lacks. Returns whether this document changed. Commutative,
   * associative and idempotent. Throws an Error, having applied only what could be placed, when
   * `other` is inconsistent (it cannot be, unless built by hand from corrupt parts).
   */
  merge(other: Rga): boolean {
    // Two decoded snapshots, the other's ids and deletions all held here (replicas in sync): read
    // from their columns, without building the delta's ops or an id index.
    if (
      this.image !== null &&
      other.image !== null &&
      imageHolds(this.image, other.image, this.replicaIndex)
    ) {
      return false;
    }
    const { waiting, changed } = this.applyWhenReady(other.delta(this.version()));
    if (waiting.length > 0) throw new Error('merge: the other document holds operations it cannot place');
    return changed;
  }

  /** An independent copy of this document, for the same replica. */
  clone(): Rga {
    return Rga.decode(this.encode(), this.replica);
  }

  /** One operation as bytes (`decodeOp` reads it back); `encodeRgaOps` packs many. */
  static encodeOp(op: RgaOp): Uint8Array {
    return encodeRgaOp(op);
  }

  /** The operation `encodeOp` wrote. Throws DecodeError for malformed bytes or a list of other than one. */
  static decodeOp(bytes: Uint8Array): RgaOp {
    const ops = decodeRgaOps(bytes);
    if (ops.length !== 1) throw new DecodeError(`expected one text operation, found ${ops.length}`, 0);
    return ops[0] as RgaOp;
  }

  // ---------------------------------------------------------------- internals

  private seen(replica: ReplicaId): number {
    const r = this.replicaIndex.get(replica);
    return r === undefined ? 0 : (this.maxCounter[r] as number);
  }

  private intern(replica: ReplicaId): number {
    const known = this.replicaIndex.get(replica);
    if (known !== undefined) return known;
    const r = this.replicas.length;
    this.replicas.push(replica);
    this.replicaIndex.set(replica, r);
    this.maxCounter.push(0);
    return r;
  }

  private idIndex(): IdIndex {
    this.load();
    if (this.ids === null) this.ids = IdIndex.build(this.tree, this.replicas.length);
    return this.ids;
  }

  private invalidateCaches(): void {
    this.flushPending();
    this.cursorRun = null;
    this.cacheLeaf = null;
    this.textCache = null;
  }

  /**
   * Check every internal invariant (tree counts and links, runs, id index, counters) and throw an
   * Error naming the first one broken. O(n); for tests.
   * @internal
   */
  assertInvariants(): void {
    this.load();
    // Typed-ahead text and counts are a legal state; the checks below see them flushed.
    this.flushPending();
    checkInvariants({
      tree: this.tree,
      ids: this.ids,
      maxCounter: this.maxCounter,
      cursorRun: this.cursorRun,
      cursorAt: this.cursorAt,
      pending: this.pending,
    });
  }

  /**
   * Counts for tests and benchmarks: runs in the tree and how many are tombstones.
   * @internal
   */
  stats(): { runs: number; tombstoneRuns: number; tombstoneChars: number; leaves: number } {
    this.load();
    let runs = 0;
    let tombstoneRuns = 0;
    let tombstoneChars = 0;
    let leaves = 0;
    for (let leaf: Leaf | null = this.tree.first; leaf !== null; leaf = leaf.next) {
      leaves++;
      for (const run of leaf.runs) {
        runs++;
        if (run.deleted) {
          tombstoneRuns++;
          tombstoneChars += run.length;
        }
      }
    }
    return { runs, tombstoneRuns, tombstoneChars, leaves };
  }
}

/** `deleteLocal`'s answer for a delete within one run (see there); never returned to a caller. */
const ONE_RUN: DeleteOp = Object.freeze({ kind: 'delete', ranges: [] });

/**
 * The op of `text` typed on by `replica` at `counter`: after its own predecessor, the right origin
 * inherited. The left origin is always its own object: reusing the previous op's id when it names
 * the character before saved an allocation but added a branch first taken late (after a paste) that
 * threw away the caller's optimized code.
 */
function typedOn(replica: ReplicaId, counter: number, text: string): InsertOp {
  return {
    kind: 'insert',
    id: { replica, counter },
    left: { replica, counter: counter - 1 },
    right: 'inherit',
    text,
  };
}

interface SavedState {
  readonly base: Uint8Array;
  readonly chunks: Uint8Array[];
  /** Operations (delete ranges counted one by one) in `chunks`, and in the journal. */
  ops: number;
  recorded: number;
  /** At most this many after `base`, then a whole snapshot again. */
  readonly limit: number;
}

/** Operations `save()` keeps after a snapshot before writing a whole one again (see `savedTailLimit`). */
export const SAVED_TAIL_FLOOR = 4096;

/**
 * How many operations a saved document may carry after its snapshot: a sixteenth of the ids it
 * has, at least `SAVED_TAIL_FLOOR`. Decoding replays them (a few µs each, about what the snapshot
 * costs per sixteen ids), and a whole snapshot is written once per that many, so its O(document)
 * cost is spread over as many operations as the document has sixteenths.
 */
function savedTailLimit(maxCounter: readonly number[]): number {
  let ids = 0;
  for (const n of maxCounter) ids += n;
  return Math.max(SAVED_TAIL_FLOOR, Math.floor(ids / 16));
}

function checkId(id: RgaId, what: string): void {
  if (id === null || typeof id !== 'object') throw new TypeError(`apply: ${what} must be an object`);
  if (typeof id.replica !== 'string' || id.replica.length === 0) {
    throw new TypeError(`apply: ${what} has no replica id`);
  }
  if (!Number.isSafeInteger(id.counter) || id.counter < 1) {
    throw new RangeError(`apply: ${what} counter must be a positive integer`);
  }
}
