import type { Dot, ReplicaId } from './replica-id.ts';
import { VersionVector } from './version-vector.ts';

/**
 * The set of events (dots) a replica has seen, stored compactly: per replica a contiguous prefix
 * 1..n, plus a "cloud" of isolated dots above the prefix that arrived out of order.
 *
 * This is what lets the OR-Set, the cart and the multi-value register forget removed elements
 * instead of keeping tombstones: a dot that is in the context but no longer in the entries was
 * removed. MUTABLE, owned by the data type that embeds it.
 *
 * Invariant (canonical form): every cloud dot of replica r has counter > prefix(r) + 1; a dot that
 * would extend the prefix is folded into it at once.
 */
export class CausalContext {
  private readonly prefix = new Map<ReplicaId, number>();
  private readonly cloud = new Map<ReplicaId, Set<number>>();

  /** A context holding exactly the dots `version` covers (every counter up to its entry, per replica). */
  static from(version: VersionVector): CausalContext {
    const context = new CausalContext();
    for (const [replica, counter] of version.entries()) context.prefix.set(replica, counter);
    return context;
  }

  /** Whether the context holds `dot`. */
  has(dot: Dot): boolean {
    return (
      dot.counter <= (this.prefix.get(dot.replica) ?? 0) ||
      (this.cloud.get(dot.replica)?.has(dot.counter) ?? false)
    );
  }

  /** Record one dot; returns whether it was new. */
  add(dot: Dot): boolean {
    if (this.has(dot)) return false;
    const top = this.prefix.get(dot.replica) ?? 0;
    if (dot.counter === top + 1) {
      this.prefix.set(dot.replica, dot.counter);
      this.fold(dot.replica);
    } else {
      const dots = this.cloud.get(dot.replica);
      if (dots) dots.add(dot.counter);
      else this.cloud.set(dot.replica, new Set([dot.counter]));
    }
    return true;
  }

  /** Union with another context; returns whether anything was new. */
  merge(other: CausalContext): boolean {
    let changed = false;
    for (const [replica, counter] of other.prefix) {
      if (counter > (this.prefix.get(replica) ?? 0)) {
        this.prefix.set(replica, counter);
        this.fold(replica);
        changed = true;
      }
    }
    for (const dot of other.cloudDots()) changed = this.add(dot) || changed;
    return changed;
  }

  /** The next fresh dot of `replica`: one above everything seen from it. */
  next(replica: ReplicaId): Dot {
    let top = this.prefix.get(replica) ?? 0;
    for (const counter of this.cloud.get(replica) ?? []) top = Math.max(top, counter);
    if (!Number.isSafeInteger(top + 1)) throw new RangeError(`dot counter of ${replica} would overflow`);
    return { replica, counter: top + 1 };
  }

  /** The contiguous part as a version vector: the events of which none is missing. */
  version(): VersionVector {
    return VersionVector.from(this.prefix);
  }

  /** Dots above the contiguous prefix, sorted by counter within each replica (replica order unspecified). */
  *cloudDots(): IterableIterator<Dot> {
    for (const [replica, counters] of this.cloud) {
      for (const counter of [...counters].sort((a, b) => a - b)) yield { replica, counter };
    }
  }

  /** Replicas mentioned anywhere in the context. */
  replicas(): Set<ReplicaId> {
    return new Set([...this.prefix.keys(), ...this.cloud.keys()]);
  }

  /** An independent copy. */
  clone(): CausalContext {
    const copy = new CausalContext();
    for (const [replica, counter] of this.prefix) copy.prefix.set(replica, counter);
    for (const [replica, counters] of this.cloud) copy.cloud.set(replica, new Set(counters));
    return copy;
  }

  /** Restore the canonical form for one replica after its prefix grew. */
  private fold(replica: ReplicaId): void {
    const dots = this.cloud.get(replica);
    if (!dots) return;
    let top = this.prefix.get(replica) ?? 0;
    for (const counter of dots) if (counter <= top) dots.delete(counter);
    while (dots.delete(top + 1)) top++;
    this.prefix.set(replica, top);
    if (dots.size === 0) this.cloud.delete(replica);
  }
}
