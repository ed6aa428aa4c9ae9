import type { Decoder } from './encoding.ts';

/** A replica's identity: a non-empty string, branded so it cannot be confused with other strings. */
export type ReplicaId = string & { readonly __brand: 'ReplicaId' };

const MAX_REPLICA_ID_LENGTH = 256;

/** Validate and brand a replica id. Throws on empty or overlong ids. */
export function replicaId(value: string): ReplicaId {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError('replica id must be a non-empty string');
  }
  if (value.length > MAX_REPLICA_ID_LENGTH) {
    throw new RangeError(`replica id longer than ${MAX_REPLICA_ID_LENGTH} characters`);
  }
  return value as ReplicaId;
}

/**
 * A dot: the unique tag of one event, the `counter`-th event of `replica` (counters start at 1).
 * Dots identify operations across every type, so applying one twice is recognisable and harmless.
 */
export interface Dot {
  /** The replica whose event it is. */
  readonly replica: ReplicaId;
  /** Which of that replica's events (1, 2, …). */
  readonly counter: number;
}

/** A string naming the dot (`replica@counter`), for maps and sets. */
export function dotKey(dot: Dot): string {
  return `${dot.replica}@${dot.counter}`;
}

/** Total order on replica ids used for deterministic tie-breaks (plain code-unit comparison). */
export function compareReplicaIds(a: ReplicaId, b: ReplicaId): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Total order on dots: by replica id, then counter. Used wherever dots must be listed canonically. */
export function compareDots(a: Dot, b: Dot): number {
  return compareReplicaIds(a.replica, b.replica) || a.counter - b.counter;
}

/** Whether two dots name the same event. */
export function sameDot(a: Dot, b: Dot): boolean {
  return a.replica === b.replica && a.counter === b.counter;
}

/** Read and validate a replica id inside a decoder, failing with a DecodeError. */
export function readReplicaId(d: Decoder): ReplicaId {
  const raw = d.string();
  try {
    return replicaId(raw);
  } catch (error) {
    return d.fail(`invalid replica id: ${(error as Error).message}`);
  }
}
