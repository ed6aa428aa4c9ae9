import type { ReplicaId } from '../replica-id.ts';
import { visitInCausalOrder } from './causal-order.ts';
import type { IdIndex } from './id-index.ts';
import { NONE, type Run } from './run.ts';
import type { Leaf, RunTree } from './tree.ts';
import type { IdRange, RgaId, RgaOp, RgaVersion } from './types.ts';

/**
 * Every operation a document that has seen `since` lacks: inserts (tombstones for text deleted
 * since) in an order `apply` accepts one after another, then one delete op with the deleted ids
 * among those `since` covers, as ranges. Deletes carry no counters, so whether the receiver has
 * seen a delete is unknown: every deleted id it may hold is named (compactly, as ranges); ids it
 * lacks arrive as tombstones already.
 */
export function computeDelta(
  tree: RunTree,
  ids: IdIndex,
  replicas: readonly ReplicaId[],
  maxCounter: readonly number[],
  since: RgaVersion,
): RgaOp[] {
  const count = replicas.length;
  // frontier[r]: every counter below it is known to the receiver, from `since` or sent here already.
  const frontier: number[] = [];
  /** What the receiver has per replica (ids above it are sent as inserts/tombstones). */
  const known: number[] = [];
  const queues: Run[][] = [];
  for (let r = 0; r < count; r++) {
    const seen = Object.hasOwn(since, replicas[r] as string) ? since[replicas[r] as string] : 0;
    if (!Number.isSafeInteger(seen) || (seen as number) < 0) {
      throw new RangeError(`delta: bad counter for ${replicas[r]}`);
    }
    frontier.push((seen as number) + 1);
    known.push(seen as number);
    const queue =
      (seen as number) < (maxCounter[r] as number)
        ? [...(ids.byReplica[r]?.from((seen as number) + 1) ?? [])]
        : [];
    queues.push(queue);
  }
  const ops: RgaOp[] = [];
  // Each replica's runs in counter order, interleaved so every origin is sent before its use.
  // Some head is always ready: the one typed earliest depends only on earlier ids.
  const ordered = visitInCausalOrder(queues, frontier, (run, r, start) => {
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
  const ranges: IdRange[] = [];
  let last: { replica: ReplicaId; counter: number; length: number } | null = null;
  for (let leaf: Leaf | null = tree.first; leaf !== null; leaf = leaf.next) {
    for (const run of leaf.runs) {
      if (!run.deleted || run.counter > (known[run.replica] as number)) continue;
      const length = Math.min(run.length, (known[run.replica] as number) - run.counter + 1);
      const replica = replicas[run.replica] as ReplicaId;
      if (last !== null && last.replica === replica && last.counter + last.length === run.counter) {
        last.length += length;
      } else {
        last = { replica, counter: run.counter, length };
        ranges.push(last);
      }
    }
  }
  if (ranges.length > 0) ops.push({ kind: 'delete', ranges });
  return ops;
}
