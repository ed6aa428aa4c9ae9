import { type Decoder, decodeWith, Encoder, TypeTag } from './encoding.ts';
import { compareReplicaIds, type Dot, type ReplicaId, readReplicaId, replicaId } from './replica-id.ts';
import { requireNonNegativeSafeInteger } from './safe-integer.ts';

/** How two version vectors relate: `a.compare(b) === 'before'` means a happened before b (a < b). */
export type VersionOrder = 'before' | 'after' | 'equal' | 'concurrent';

/**
 * A version vector: for each replica, how many of its events have been seen (events 1..n).
 *
 * IMMUTABLE: every "changing" method returns a new vector, so vectors can be shared freely between
 * a document, its sync sessions and the UI. Replicas with counter 0 are simply absent; entries are
 * kept sorted by replica id, which makes iteration, `toString`, JSON and binary forms canonical.
 */
export class VersionVector {
  /** The vector that has seen nothing. */
  static readonly empty: VersionVector = new VersionVector(new Map());

  /** `counters` is sorted by replica id and holds positive safe integers only. */
  private constructor(private readonly counters: ReadonlyMap<ReplicaId, number>) {}

  /** Build from (replica, counter) pairs; counters must be non-negative safe integers (0 = absent). */
  static from(entries: Iterable<readonly [string, number]>): VersionVector {
    const pairs: [ReplicaId, number][] = [];
    const seen = new Set<string>();
    for (const [id, counter] of entries) {
      const replica = replicaId(id);
      if (seen.has(replica)) throw new RangeError(`replica ${replica} appears twice`);
      seen.add(replica);
      requireNonNegativeSafeInteger(counter, `counter of ${replica}`);
      if (counter > 0) pairs.push([replica, counter]);
    }
    return VersionVector.sorted(pairs);
  }

  private static sorted(pairs: [ReplicaId, number][]): VersionVector {
    pairs.sort((a, b) => compareReplicaIds(a[0], b[0]));
    return new VersionVector(new Map(pairs));
  }

  /** Number of replicas with a positive counter. */
  get size(): number {
    return this.counters.size;
  }

  /** How many events of `replica` this vector has seen (0 when none). */
  get(replica: ReplicaId): number {
    return this.counters.get(replica) ?? 0;
  }

  /** Whether the event `dot` is covered (its counter is at most this vector's counter for its replica). */
  includes(dot: Dot): boolean {
    return dot.counter <= this.get(dot.replica);
  }

  /** The vector after one more event of `replica`. */
  increment(replica: ReplicaId): VersionVector {
    const next = this.get(replica) + 1;
    if (!Number.isSafeInteger(next)) throw new RangeError(`counter of ${replica} would overflow`);
    if (this.counters.has(replica)) {
      return new VersionVector(new Map(this.counters).set(replica, next));
    }
    return VersionVector.sorted([...this.entries(), [replicaId(replica), 1]]);
  }

  /** Pointwise maximum (least upper bound). */
  merge(other: VersionVector): VersionVector {
    if (other.dominates(this)) return other;
    if (this.dominates(other)) return this;
    const merged = new Map(this.counters);
    for (const [replica, counter] of other.counters) {
      if (counter > (merged.get(replica) ?? 0)) merged.set(replica, counter);
    }
    return VersionVector.sorted([...merged]);
  }

  /** How this vector relates to `other`: before, after, equal or concurrent. */
  compare(other: VersionVector): VersionOrder {
    let less = false; // some counter of this is below other's
    let greater = false;
    for (const [replica, counter] of this.counters) {
      const theirs = other.get(replica);
      if (counter < theirs) less = true;
      else if (counter > theirs) greater = true;
    }
    for (const [replica, counter] of other.counters) {
      if (!this.counters.has(replica) && counter > 0) less = true;
    }
    if (less && greater) return 'concurrent';
    if (less) return 'before';
    if (greater) return 'after';
    return 'equal';
  }

  /** this ≥ other pointwise: everything `other` has seen, this has seen too. */
  dominates(other: VersionVector): boolean {
    for (const [replica, counter] of other.counters) {
      if (this.get(replica) < counter) return false;
    }
    return true;
  }

  /** Whether both have seen exactly the same events. */
  equals(other: VersionVector): boolean {
    return this.compare(other) === 'equal';
  }

  /** (replica, counter) pairs sorted by replica id. */
  entries(): [ReplicaId, number][] {
    return [...this.counters];
  }

  /** Readable form for the UI, sorted by replica id: "a:3 b:1" (the empty vector is ""). */
  toString(): string {
    return this.entries()
      .map(([replica, counter]) => `${replica}:${counter}`)
      .join(' ');
  }

  /** Plain object form, keys sorted by replica id: { a: 3, b: 1 }. */
  toJSON(): Record<string, number> {
    return Object.fromEntries(this.counters);
  }

  /** Inverse of toJSON; throws a TypeError or RangeError for anything else. */
  static fromJSON(json: unknown): VersionVector {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new TypeError('a version vector in JSON must be an object of replica → counter');
    }
    return VersionVector.from(
      Object.entries(json).map(([replica, counter]): [string, number] => {
        if (typeof counter !== 'number') throw new TypeError(`counter of ${replica} must be a number`);
        return [replica, counter];
      }),
    );
  }

  /** The vector as bytes, with header (`decode` reads it back). */
  encode(): Uint8Array {
    const e = new Encoder().header(TypeTag.VersionVector);
    this.write(e);
    return e.finish();
  }

  /** The vector `encode()` wrote. Throws DecodeError for malformed bytes. */
  static decode(bytes: Uint8Array): VersionVector {
    return decodeWith(bytes, TypeTag.VersionVector, (d) => VersionVector.read(d));
  }

  /** Write the body without a header, for embedding in other messages. */
  write(e: Encoder): void {
    e.uint(this.counters.size);
    for (const [replica, counter] of this.counters) e.string(replica).uint(counter);
  }

  /** Read a body written by `write`: replicas strictly ascending, counters ≥ 1. */
  static read(d: Decoder): VersionVector {
    const n = d.count(3); // replica (length + ≥1 byte) and counter
    const pairs: [ReplicaId, number][] = [];
    let previous: ReplicaId | undefined;
    for (let i = 0; i < n; i++) {
      const replica = readReplicaId(d);
      if (previous !== undefined && compareReplicaIds(previous, replica) >= 0) {
        d.fail('version vector replicas are not strictly ascending');
      }
      const counter = d.uint();
      if (counter === 0) d.fail('version vector counter is 0');
      pairs.push([replica, counter]);
      previous = replica;
    }
    return new VersionVector(new Map(pairs));
  }
}
