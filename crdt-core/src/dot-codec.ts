/**
 * Binary pieces shared by the dotted types (OR-Set, cart, multi-value register) and their ops.
 *
 * An encoding lists the replica ids it mentions once, in a table sorted by id, and refers to them by
 * index, so a state with many dots stays small. Dot lists are written sorted (by replica, then
 * counter) and readers insist on strictly ascending order, which rejects duplicates for free and
 * keeps every encoding canonical: equal states encode to equal bytes.
 */
import { CausalContext } from './causal-context.ts';
import type { Decoder, Encoder } from './encoding.ts';
import { compareDots, compareReplicaIds, type Dot, type ReplicaId, readReplicaId } from './replica-id.ts';
import { VersionVector } from './version-vector.ts';

export class ReplicaTable {
  private readonly index = new Map<ReplicaId, number>();

  private constructor(readonly ids: readonly ReplicaId[]) {
    ids.forEach((id, i) => {
      this.index.set(id, i);
    });
  }

  /** A table of the given ids (duplicates ignored), sorted. */
  static of(ids: Iterable<ReplicaId>): ReplicaTable {
    return new ReplicaTable([...new Set(ids)].sort(compareReplicaIds));
  }

  write(e: Encoder): void {
    e.uint(this.ids.length);
    for (const id of this.ids) e.string(id);
  }

  static read(d: Decoder): ReplicaTable {
    const n = d.count(2);
    const ids: ReplicaId[] = [];
    for (let i = 0; i < n; i++) {
      const id = readReplicaId(d);
      const previous = ids[ids.length - 1];
      if (previous !== undefined && compareReplicaIds(previous, id) >= 0) {
        d.fail('replica table is not strictly ascending');
      }
      ids.push(id);
    }
    return new ReplicaTable(ids);
  }

  writeReplica(e: Encoder, replica: ReplicaId): void {
    const i = this.index.get(replica);
    if (i === undefined) throw new Error(`replica ${replica} missing from the table`); // encoder bug
    e.uint(i);
  }

  readReplica(d: Decoder): ReplicaId {
    const i = d.uint();
    const id = this.ids[i];
    if (id === undefined) return d.fail(`replica index ${i} outside a table of ${this.ids.length}`);
    return id;
  }

  writeDot(e: Encoder, dot: Dot): void {
    this.writeReplica(e, dot.replica);
    e.uint(dot.counter);
  }

  readDot(d: Decoder): Dot {
    const replica = this.readReplica(d);
    const counter = d.uint();
    if (counter === 0) d.fail('dot counter is 0');
    return { replica, counter };
  }

  /** A dot list, sorted on the way out. */
  writeDots(e: Encoder, dots: readonly Dot[]): void {
    e.uint(dots.length);
    for (const dot of [...dots].sort(compareDots)) this.writeDot(e, dot);
  }

  /** A strictly ascending dot list (so: no duplicates). */
  readDots(d: Decoder): Dot[] {
    const n = d.count(2);
    const dots: Dot[] = [];
    for (let i = 0; i < n; i++) {
      const dot = this.readDot(d);
      const previous = dots[dots.length - 1];
      if (previous !== undefined && compareDots(previous, dot) >= 0)
        d.fail('dots are not strictly ascending');
      dots.push(dot);
    }
    return dots;
  }

  /**
   * The dots an op supersedes: ascending, without the op's own dot, and none of the writer's own
   * later events (a writer cannot have seen its future).
   */
  readObserved(d: Decoder, dot: Dot): Dot[] {
    const observed = this.readDots(d);
    for (const seen of observed) {
      if (seen.replica === dot.replica && seen.counter >= dot.counter) {
        d.fail('an op can only supersede earlier events of its writer');
      }
    }
    return observed;
  }

  /** A causal context: the contiguous prefixes, then the cloud. */
  writeContext(e: Encoder, context: CausalContext): void {
    const prefix = context.version().entries();
    e.uint(prefix.length);
    for (const [replica, counter] of prefix) {
      this.writeReplica(e, replica);
      e.uint(counter);
    }
    this.writeDots(e, [...context.cloudDots()]);
  }

  /** Read a context, insisting on the canonical form (no cloud dot that belongs in a prefix). */
  readContext(d: Decoder): CausalContext {
    const n = d.count(2);
    const prefix: Dot[] = [];
    for (let i = 0; i < n; i++) {
      const top = this.readDot(d);
      const previous = prefix[prefix.length - 1];
      if (previous !== undefined && compareReplicaIds(previous.replica, top.replica) >= 0) {
        d.fail('context replicas are not strictly ascending');
      }
      prefix.push(top);
    }
    const context = CausalContext.from(VersionVector.from(prefix.map((dot) => [dot.replica, dot.counter])));
    const tops = new Map(prefix.map((dot) => [dot.replica, dot.counter]));
    for (const dot of this.readDots(d)) {
      if (dot.counter <= (tops.get(dot.replica) ?? 0) + 1) d.fail('context is not in canonical form');
      context.add(dot);
    }
    return context;
  }
}
