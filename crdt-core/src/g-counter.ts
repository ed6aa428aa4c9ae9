import { type Decoder, decodeWith, Encoder, TypeTag } from './encoding.ts';
import { compareReplicaIds, type Dot, type ReplicaId, readReplicaId } from './replica-id.ts';
import type { Replicated } from './replicated.ts';
import { requirePositiveSafeInteger, requireSafeResult } from './safe-integer.ts';
import { VersionVector } from './version-vector.ts';

/**
 * An increment: the `dot.counter`-th increment of `dot.replica`, after which that replica's
 * running total is `total`. Carrying the total (not the amount) makes the op a delta state: the
 * newest op of a replica subsumes all its older ones, so ops may arrive late, twice or not at all
 * once a newer one is in.
 */
export interface GCounterOp {
  /** Which increment: its replica and that replica's increment count. */
  readonly dot: Dot;
  /** What that replica has added in total, this increment included. */
  readonly total: number;
}

/** One replica's part: how many increments it made and their sum (total ≥ counter, amounts are ≥ 1). */
interface Contribution {
  readonly counter: number;
  readonly total: number;
}

/** Newer = more increments; equal counters (only from a misbehaving writer) settle on the larger total. */
function isNewer(a: Contribution, b: Contribution | undefined): boolean {
  return b === undefined || a.counter > b.counter || (a.counter === b.counter && a.total > b.total);
}

/**
 * Grow-only counter: per replica, its latest contribution; the value is their sum. MUTABLE.
 * The value stays a safe integer: an increment, op or merge that would leave the range throws a
 * RangeError and changes nothing.
 */
export class GCounter implements Replicated<GCounter, GCounterOp, number> {
  private readonly parts = new Map<ReplicaId, Contribution>();
  private sum = 0;

  /** Add `amount` (a positive safe integer) on behalf of `replica`; returns the op to send. */
  increment(replica: ReplicaId, amount = 1): GCounterOp {
    requirePositiveSafeInteger(amount, 'increment amount');
    requireSafeResult(this.sum + amount, 'counter value');
    const mine = this.parts.get(replica) ?? { counter: 0, total: 0 };
    const op: GCounterOp = { dot: { replica, counter: mine.counter + 1 }, total: mine.total + amount };
    this.apply(op);
    return op;
  }

  value(): number {
    return this.sum;
  }

  /** What one replica has added in total. */
  contribution(replica: ReplicaId): number {
    return this.parts.get(replica)?.total ?? 0;
  }

  /** The increments included, per replica. */
  version(): VersionVector {
    return VersionVector.from([...this.parts].map(([replica, part]) => [replica, part.counter]));
  }

  apply(op: GCounterOp): boolean {
    return this.join([[op.dot.replica, { counter: op.dot.counter, total: op.total }]]);
  }

  merge(other: GCounter): boolean {
    return this.join(other.parts);
  }

  clone(): GCounter {
    const copy = new GCounter();
    copy.join(this.parts);
    return copy;
  }

  private join(incoming: Iterable<readonly [ReplicaId, Contribution]>): boolean {
    const newer: [ReplicaId, Contribution][] = [];
    let sum = this.sum;
    for (const [replica, theirs] of incoming) {
      const mine = this.parts.get(replica);
      if (!isNewer(theirs, mine)) continue;
      newer.push([replica, theirs]);
      sum += theirs.total - (mine?.total ?? 0);
    }
    requireSafeResult(sum, 'counter value');
    for (const [replica, part] of newer) this.parts.set(replica, part);
    this.sum = sum;
    return newer.length > 0;
  }

  encode(): Uint8Array {
    const e = new Encoder().header(TypeTag.GCounter);
    const parts = [...this.parts].sort((a, b) => compareReplicaIds(a[0], b[0]));
    e.uint(parts.length);
    for (const [replica, part] of parts) e.string(replica).uint(part.counter).uint(part.total);
    return e.finish();
  }

  /** The counter that `encode()` wrote. Throws DecodeError for malformed bytes. */
  static decode(bytes: Uint8Array): GCounter {
    return decodeWith(bytes, TypeTag.GCounter, (d) => {
      const counter = new GCounter();
      const n = d.count(4);
      let previous: ReplicaId | undefined;
      for (let i = 0; i < n; i++) {
        const replica = readReplicaId(d);
        if (previous !== undefined && compareReplicaIds(previous, replica) >= 0) {
          d.fail('replicas are not strictly ascending');
        }
        previous = replica;
        const part = readContribution(d);
        if (!Number.isSafeInteger(counter.sum + part.total)) d.fail('counter value exceeds the safe range');
        counter.parts.set(replica, part);
        counter.sum += part.total;
      }
      return counter;
    });
  }

  /** One operation as bytes (`decodeOp` reads it back). */
  static encodeOp(op: GCounterOp): Uint8Array {
    return new Encoder()
      .header(TypeTag.GCounterOp)
      .string(op.dot.replica)
      .uint(op.dot.counter)
      .uint(op.total)
      .finish();
  }

  /** The operation `encodeOp` wrote. Throws DecodeError for malformed bytes. */
  static decodeOp(bytes: Uint8Array): GCounterOp {
    return decodeWith(bytes, TypeTag.GCounterOp, (d) => {
      const replica = readReplicaId(d);
      const { counter, total } = readContribution(d);
      return { dot: { replica, counter }, total };
    });
  }
}

function readContribution(d: Decoder): Contribution {
  const counter = d.uint();
  const total = d.uint();
  if (counter === 0) d.fail('increment counter is 0');
  if (total < counter) d.fail('total is below the number of increments');
  return { counter, total };
}
