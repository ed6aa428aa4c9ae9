import { type Decoder, decodeWith, Encoder, TypeTag } from './encoding.ts';
import { compareReplicaIds, type Dot, type ReplicaId, readReplicaId } from './replica-id.ts';
import type { Replicated } from './replicated.ts';
import { requirePositiveSafeInteger, requireSafeResult } from './safe-integer.ts';
import { VersionVector } from './version-vector.ts';

/**
 * An increment or decrement: the `dot.counter`-th change made by `dot.replica`, after which that
 * replica has added `up` and subtracted `down` in total. Like GCounterOp it carries totals, so the
 * newest op of a replica subsumes its older ones.
 */
export interface PNCounterOp {
  /** Which change: its replica and that replica's change count. */
  readonly dot: Dot;
  /** What that replica has added in total, this change included. */
  readonly up: number;
  /** What that replica has subtracted in total, this change included. */
  readonly down: number;
}

/** One replica's part: `counter` changes, each of at least 1, so up + down ≥ counter. */
interface Contribution {
  readonly counter: number;
  readonly up: number;
  readonly down: number;
}

/** Newer = more changes; ties (only from a misbehaving writer) settle on (up, down) so merges commute. */
function isNewer(a: Contribution, b: Contribution | undefined): boolean {
  if (b === undefined || a.counter !== b.counter) return b === undefined || a.counter > b.counter;
  return a.up !== b.up ? a.up > b.up : a.down > b.down;
}

/**
 * Counter that goes both ways: per replica, its latest totals up and down; the value is
 * Σup − Σdown. MUTABLE. Both sums stay safe integers (so the value is exact); an increment,
 * decrement, op or merge that would break that throws a RangeError and changes nothing.
 */
export class PNCounter implements Replicated<PNCounter, PNCounterOp, number> {
  private readonly parts = new Map<ReplicaId, Contribution>();
  private upSum = 0;
  private downSum = 0;

  /** Add `amount` (a positive safe integer) on behalf of `replica`; returns the op to send. */
  increment(replica: ReplicaId, amount = 1): PNCounterOp {
    requirePositiveSafeInteger(amount, 'increment amount');
    return this.change(replica, amount, 0);
  }

  /** Subtract `amount` (a positive safe integer) on behalf of `replica`; returns the op to send. */
  decrement(replica: ReplicaId, amount = 1): PNCounterOp {
    requirePositiveSafeInteger(amount, 'decrement amount');
    return this.change(replica, 0, amount);
  }

  private change(replica: ReplicaId, up: number, down: number): PNCounterOp {
    requireSafeResult(this.upSum + up, 'sum of increments');
    requireSafeResult(this.downSum + down, 'sum of decrements');
    const mine = this.parts.get(replica) ?? { counter: 0, up: 0, down: 0 };
    const op: PNCounterOp = {
      dot: { replica, counter: mine.counter + 1 },
      up: mine.up + up,
      down: mine.down + down,
    };
    this.apply(op);
    return op;
  }

  value(): number {
    return this.upSum - this.downSum;
  }

  /** What one replica has changed in total (its ups minus its downs). */
  contribution(replica: ReplicaId): number {
    const part = this.parts.get(replica);
    return part ? part.up - part.down : 0;
  }

  /** The changes included, per replica. */
  version(): VersionVector {
    return VersionVector.from([...this.parts].map(([replica, part]) => [replica, part.counter]));
  }

  apply(op: PNCounterOp): boolean {
    return this.join([[op.dot.replica, { counter: op.dot.counter, up: op.up, down: op.down }]]);
  }

  merge(other: PNCounter): boolean {
    return this.join(other.parts);
  }

  clone(): PNCounter {
    const copy = new PNCounter();
    copy.join(this.parts);
    return copy;
  }

  private join(incoming: Iterable<readonly [ReplicaId, Contribution]>): boolean {
    const newer: [ReplicaId, Contribution][] = [];
    let upSum = this.upSum;
    let downSum = this.downSum;
    for (const [replica, theirs] of incoming) {
      const mine = this.parts.get(replica);
      if (!isNewer(theirs, mine)) continue;
      newer.push([replica, theirs]);
      upSum += theirs.up - (mine?.up ?? 0);
      downSum += theirs.down - (mine?.down ?? 0);
    }
    requireSafeResult(upSum, 'sum of increments');
    requireSafeResult(downSum, 'sum of decrements');
    for (const [replica, part] of newer) this.parts.set(replica, part);
    this.upSum = upSum;
    this.downSum = downSum;
    return newer.length > 0;
  }

  encode(): Uint8Array {
    const e = new Encoder().header(TypeTag.PNCounter);
    const parts = [...this.parts].sort((a, b) => compareReplicaIds(a[0], b[0]));
    e.uint(parts.length);
    for (const [replica, part] of parts) e.string(replica).uint(part.counter).uint(part.up).uint(part.down);
    return e.finish();
  }

  /** The counter that `encode()` wrote. Throws DecodeError for malformed bytes. */
  static decode(bytes: Uint8Array): PNCounter {
    return decodeWith(bytes, TypeTag.PNCounter, (d) => {
      const counter = new PNCounter();
      const n = d.count(5);
      let previous: ReplicaId | undefined;
      for (let i = 0; i < n; i++) {
        const replica = readReplicaId(d);
        if (previous !== undefined && compareReplicaIds(previous, replica) >= 0) {
          d.fail('replicas are not strictly ascending');
        }
        previous = replica;
        const part = readContribution(d);
        counter.parts.set(replica, part);
        counter.upSum += part.up;
        counter.downSum += part.down;
        if (!Number.isSafeInteger(counter.upSum) || !Number.isSafeInteger(counter.downSum)) {
          d.fail('counter sums exceed the safe range');
        }
      }
      return counter;
    });
  }

  /** One operation as bytes (`decodeOp` reads it back). */
  static encodeOp(op: PNCounterOp): Uint8Array {
    return new Encoder()
      .header(TypeTag.PNCounterOp)
      .string(op.dot.replica)
      .uint(op.dot.counter)
      .uint(op.up)
      .uint(op.down)
      .finish();
  }

  /** The operation `encodeOp` wrote. Throws DecodeError for malformed bytes. */
  static decodeOp(bytes: Uint8Array): PNCounterOp {
    return decodeWith(bytes, TypeTag.PNCounterOp, (d) => {
      const replica = readReplicaId(d);
      const { counter, up, down } = readContribution(d);
      return { dot: { replica, counter }, up, down };
    });
  }
}

function readContribution(d: Decoder): Contribution {
  const counter = d.uint();
  const up = d.uint();
  const down = d.uint();
  if (counter === 0) d.fail('change counter is 0');
  if (up + down < counter) d.fail('totals are below the number of changes');
  return { counter, up, down };
}
