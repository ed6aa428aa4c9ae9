import type { ReplicaId } from '../replica-id.ts';
import { visitInCausalOrder } from './causal-order.ts';
import { NONE, type Run } from './run.ts';
import type { IdRange, RgaId, RgaOp, RgaVersion } from './types.ts';

/**
 * Every operation a document whose runs (in document order) are `runs` has and one that has seen
 * `since` lacks: inserts (tombstones for text deleted
 * since) in an order `apply` accepts one after another, then one delete op with the deleted ids
 * among those `since` covers, as ranges. Deletes carry no counters, so whether the receiver has
 * seen a delete is unknown: every deleted id it may hold is named (compactly, as ranges); ids it
 * lacks arrive as tombstones already.
 */
export function computeDelta(
  runs: readonly Run[],
  replicas: readonly ReplicaId[],
  since: RgaVersion,
): RgaOp[] {
  const known = knownCounters(replicas, since);
  const collector = new DeltaCollector(replicas, known);
  for (let i = 0; i < runs.length; i++) collector.add(runs[i] as Run);
  return collector.ops();
}

/** What a receiver at `since` has of each replica (ids above it are sent as inserts/tombstones). */
export function knownCounters(replicas: readonly ReplicaId[], since: RgaVersion): number[] {
  const known: number[] = [];
  for (let r = 0; r < replicas.length; r++) {
    const seen = Object.hasOwn(since, replicas[r] as string) ? since[replicas[r] as string] : 0;
    if (!Number.isSafeInteger(seen) || (seen as number) < 0) {
      throw new RangeError(`delta: bad counter for ${replicas[r]}`);
    }
    known.push(seen as number);
  }
  return known;
}

/**
 * Builds a delta from runs offered in document order: those with ids the receiver lacks go to their
 * replica's queue; deleted ids it may hold become ranges. A decoded snapshot offers only the runs
 * it must (image-delta.ts), a document all of its runs.
 */
export class DeltaCollector {
  private readonly queues: Run[][] = [];
  private readonly ranges: IdRange[] = [];
  private last: { replica: ReplicaId; counter: number; length: number } | null = null;

  constructor(
    private readonly replicas: readonly ReplicaId[],
    readonly known: readonly number[],
  ) {
    for (let r = 0; r < replicas.length; r++) this.queues.push([]);
  }

  /** Offer a run (the next in document order). */
  add(run: Run): void {
    const have = this.known[run.replica] as number;
    if (run.counter + run.length - 1 > have) (this.queues[run.replica] as Run[]).push(run);
    if (run.deleted && run.counter <= have) this.deleted(run.replica, run.counter, run.length);
  }

  /** Offer deleted ids (the next in document order) the receiver may hold or not. */
  deleted(r: number, counter: number, length: number): void {
    const have = this.known[r] as number;
    if (counter > have) return;
    const take = Math.min(length, have - counter + 1);
    const replica = this.replicas[r] as ReplicaId;
    const last = this.last;
    if (last !== null && last.replica === replica && last.counter + last.length === counter) {
      last.length += take;
    } else {
      this.last = { replica, counter, length: take };
      this.ranges.push(this.last);
    }
  }

  /**
   * The operations: each replica's queued runs in counter order, interleaved so every origin is
   * sent before its use (some head is always ready: the one typed earliest depends only on earlier
   * ids), then one delete of the ranges.
   */
  ops(): RgaOp[] {
    const replicas = this.replicas;
    for (const queue of this.queues) if (queue.length > 1) queue.sort((a, b) => a.counter - b.counter);
    const frontier = this.known.map((have) => have + 1);
    const ops: RgaOp[] = [];
    const ordered = visitInCausalOrder(this.queues, frontier, (run, r, start) => {
      const skip = start - run.counter;
      const id: RgaId = { replica: replicas[r] as ReplicaId, counter: start };
      const left: RgaId | null =
        skip > 0
          ? { replica: replicas[r] as ReplicaId, counter: start - 1 }
          : run.leftReplica === NONE
            ? null
            : { replica: replicas[run.leftReplica] as ReplicaId, counter: run.leftCounter };
      const right: RgaId | null =
        run.rightReplica === NONE
          ? null
          : { replica: replicas[run.rightReplica] as ReplicaId, counter: run.rightCounter };
      ops.push(
        run.deleted
          ? { kind: 'tombstone', id, left, right, length: run.length - skip }
          : { kind: 'insert', id, left, right, text: skip > 0 ? run.text.slice(skip) : run.text },
      );
    });
    if (!ordered) throw new Error('delta: no causal order for the remaining runs');
    if (this.ranges.length > 0) ops.push({ kind: 'delete', ranges: this.ranges });
    return ops;
  }
}
