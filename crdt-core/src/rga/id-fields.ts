import type { Decoder } from '../encoding.ts';
import type { ReplicaId } from '../replica-id.ts';

// Id fields as every RGA decoder reads them (updates and snapshots, both formats).

/** Replica `index` of a decoded replica table. */
export function tableEntry(d: Decoder, replicas: readonly ReplicaId[], index: number): ReplicaId {
  const replica = replicas[index];
  if (replica === undefined) d.fail(`replica index ${index} outside the table`);
  return replica;
}

export function readReplica(d: Decoder, replicas: readonly ReplicaId[]): ReplicaId {
  return tableEntry(d, replicas, d.uint());
}

/** A counter: a positive safe integer. */
export function readCounter(d: Decoder): number {
  const counter = d.uint();
  if (counter < 1) d.fail('counter must be at least 1');
  return counter;
}

/** A run length ≥ 1 whose last counter stays a safe integer. */
export function readLength(d: Decoder, counter: number): number {
  const length = d.uint();
  if (length < 1) d.fail('length must be at least 1');
  if (!Number.isSafeInteger(counter + length)) d.fail('counters overflow');
  return length;
}
