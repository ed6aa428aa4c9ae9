import { dotKey, type ReplicaId } from './replica-id.ts';
import { VersionVector } from './version-vector.ts';

/** One operation of the log: its author's `counter`-th, carrying `body`, delivered after `deps`. */
export interface LoggedOp<Body> {
  /** Its author. */
  readonly replica: ReplicaId;
  /** This is the author's `counter`-th operation (1, 2, ...). */
  readonly counter: number;
  /** What the author had delivered when it made this operation. */
  readonly deps: VersionVector;
  /** What the operation does (for a WorkspaceDocument, a change to one field). */
  readonly body: Body;
}

/** Early operations kept at most; beyond this an operation is refused (the sender will resend it). */
const MAX_WAITING = 100_000;

/**
 * A causal operation log: every operation of a replicated document, numbered per replica and
 * stamped with what its author had seen, delivered in causal order.
 *
 * - Causal delivery: an operation is delivered only after every operation its author had seen
 *   (its `deps`) and every earlier operation of its author. One that arrives early waits in a buffer;
 *   one already delivered is recognised by its number and dropped.
 * - Delta sync: `missing(peerVersion)` lists, in delivery order (a causal order), the operations a peer
 *   at that version lacks — as long as the log still holds them. Operations that arrived folded into a
 *   state (a snapshot or a state transfer) are not in the log: `base` records how far that goes, and a
 *   peer behind it needs a state transfer instead (`missing` returns undefined).
 */
export class OperationLog<Body> {
  private delivered: VersionVector = VersionVector.empty;
  /** Operations at or below this version may be missing from `entries` (they came in a state). */
  private base: VersionVector = VersionVector.empty;
  private readonly entries: LoggedOp<Body>[] = [];
  private readonly waiting = new Map<string, LoggedOp<Body>>();

  /** What has been delivered: per replica, how many of its operations. */
  version(): VersionVector {
    return this.delivered;
  }

  /** Operations that arrived early and wait for others. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  /** The next local operation of `replica`; it is delivered at once. */
  next(replica: ReplicaId, body: Body): LoggedOp<Body> {
    const op: LoggedOp<Body> = {
      replica,
      counter: this.delivered.get(replica) + 1,
      deps: this.delivered,
      body,
    };
    this.deliver(op);
    return op;
  }

  /**
   * Accept operations from anywhere. Returns those delivered now, in causal order (buffered ones
   * included once they became ready); `apply` is called for each before the next is considered.
   */
  receive(ops: Iterable<LoggedOp<Body>>, apply: (op: LoggedOp<Body>) => void): LoggedOp<Body>[] {
    const out: LoggedOp<Body>[] = [];
    for (const op of ops) {
      if (this.isDuplicate(op)) continue;
      if (this.isReady(op)) {
        apply(op);
        this.deliver(op);
        out.push(op);
      } else if (this.waiting.size < MAX_WAITING) {
        this.waiting.set(dotKey(op), op);
      }
    }
    if (out.length > 0) this.deliverWaiting(apply, out);
    return out;
  }

  /** Operations a peer at `peer` lacks, in causal order; undefined when only a state transfer can help. */
  missing(peer: VersionVector): LoggedOp<Body>[] | undefined {
    if (!peer.dominates(this.base)) return undefined;
    if (peer.dominates(this.delivered)) return [];
    return this.entries.filter((op) => op.counter > peer.get(op.replica));
  }

  /**
   * Everything up to `version` arrived folded into a state (merged by the caller): count it as
   * delivered, drop what it made redundant, and deliver buffered operations that became ready.
   */
  advance(version: VersionVector, apply: (op: LoggedOp<Body>) => void): LoggedOp<Body>[] {
    this.delivered = this.delivered.merge(version);
    this.base = this.base.merge(version);
    for (const [key, op] of this.waiting) if (this.isDuplicate(op)) this.waiting.delete(key);
    const out: LoggedOp<Body>[] = [];
    this.deliverWaiting(apply, out);
    return out;
  }

  private isDuplicate(op: LoggedOp<Body>): boolean {
    return op.counter <= this.delivered.get(op.replica);
  }

  private isReady(op: LoggedOp<Body>): boolean {
    if (op.counter !== this.delivered.get(op.replica) + 1) return false;
    for (const [replica, counter] of op.deps.entries()) {
      if (replica !== op.replica && counter > this.delivered.get(replica)) return false;
    }
    return true;
  }

  private deliver(op: LoggedOp<Body>): void {
    this.delivered = this.delivered.increment(op.replica);
    this.entries.push(op);
  }

  private deliverWaiting(apply: (op: LoggedOp<Body>) => void, out: LoggedOp<Body>[]): void {
    let progress = true;
    while (progress && this.waiting.size > 0) {
      progress = false;
      for (const [key, op] of this.waiting) {
        if (this.isDuplicate(op)) {
          this.waiting.delete(key);
        } else if (this.isReady(op)) {
          this.waiting.delete(key);
          apply(op);
          this.deliver(op);
          out.push(op);
          progress = true;
        }
      }
    }
  }
}
