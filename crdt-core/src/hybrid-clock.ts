import { type Decoder, decodeWith, Encoder, TypeTag } from './encoding.ts';
import { compareReplicaIds, type ReplicaId, readReplicaId, replicaId } from './replica-id.ts';
import { requireNonNegativeSafeInteger } from './safe-integer.ts';

/**
 * A hybrid logical clock reading: wall-clock milliseconds, a logical counter that orders events
 * within the same millisecond (or while the physical clock lags behind a remote one), and the
 * replica, which makes every timestamp unique and breaks ties.
 */
export interface HybridTimestamp {
  /** Physical time in milliseconds since the epoch, as the issuing clock saw it (never behind what it observed). */
  readonly wallMs: number;
  /** Orders timestamps with equal `wallMs`. */
  readonly logical: number;
  /** The replica whose clock issued it; breaks the remaining ties. */
  readonly replica: ReplicaId;
}

/** Total order: wall time, then logical counter, then replica id. */
export function compareHybridTimestamps(a: HybridTimestamp, b: HybridTimestamp): number {
  return a.wallMs - b.wallMs || a.logical - b.logical || compareReplicaIds(a.replica, b.replica);
}

/** Options of a HybridLogicalClock. */
export interface HybridClockOptions {
  /**
   * Refuse (RangeError) a remote timestamp more than this many ms ahead of our physical clock, so a
   * peer with a wild clock cannot drag ours into the future. Default: no limit.
   */
  readonly maxDriftMs?: number;
}

/**
 * Hybrid logical clock (Kulkarni et al.): timestamps close to physical time that still respect
 * causality. Every timestamp it issues is strictly greater than every one it issued or observed
 * before, whatever the physical clock does (stand still, step back, lag behind a peer).
 * The physical clock is injected, so the clock is deterministic under test. MUTABLE.
 */
export class HybridLogicalClock {
  private wallMs = 0;
  private logical = 0;
  private readonly maxDriftMs: number;

  constructor(
    /** The replica whose events this clock stamps. */
    readonly replica: ReplicaId,
    private readonly physicalMs: () => number,
    options: HybridClockOptions = {},
  ) {
    replicaId(replica);
    this.maxDriftMs = options.maxDriftMs ?? Number.POSITIVE_INFINITY;
    if (!(this.maxDriftMs >= 0)) throw new RangeError('maxDriftMs must not be negative');
  }

  /** A timestamp for a local event (e.g. a write). */
  now(): HybridTimestamp {
    const physical = this.readPhysical();
    if (physical > this.wallMs) return this.issue(physical, 0);
    return this.issue(this.wallMs, this.logical + 1);
  }

  /** Receiving `remote`: returns the receive event's timestamp, greater than `remote` and our past. */
  observe(remote: HybridTimestamp): HybridTimestamp {
    requireHybridTimestamp(remote);
    const physical = this.readPhysical();
    if (remote.wallMs - physical > this.maxDriftMs) {
      throw new RangeError(`remote clock of ${remote.replica} is ${remote.wallMs - physical} ms ahead`);
    }
    const wall = Math.max(this.wallMs, remote.wallMs, physical);
    const mine = wall === this.wallMs ? this.logical + 1 : 0;
    const theirs = wall === remote.wallMs ? remote.logical + 1 : 0;
    return this.issue(wall, Math.max(mine, theirs));
  }

  private issue(wallMs: number, logical: number): HybridTimestamp {
    if (!Number.isSafeInteger(logical)) throw new RangeError('logical counter would overflow');
    this.wallMs = wallMs;
    this.logical = logical;
    return { wallMs, logical, replica: this.replica };
  }

  private readPhysical(): number {
    const ms = this.physicalMs();
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > Number.MAX_SAFE_INTEGER) {
      throw new TypeError(`physical clock returned ${String(ms)}, not a time in ms`);
    }
    return Math.floor(ms);
  }
}

/** Throw a TypeError/RangeError unless `ts` is a well-formed timestamp. */
export function requireHybridTimestamp(ts: HybridTimestamp): HybridTimestamp {
  if (typeof ts !== 'object' || ts === null) throw new TypeError('expected a hybrid timestamp');
  requireNonNegativeSafeInteger(ts.wallMs, 'timestamp wallMs');
  requireNonNegativeSafeInteger(ts.logical, 'timestamp logical counter');
  replicaId(ts.replica);
  return ts;
}

/** Write a timestamp without header, for embedding. */
export function writeHybridTimestamp(e: Encoder, ts: HybridTimestamp): void {
  e.string(ts.replica).uint(ts.wallMs).uint(ts.logical);
}

/** Read a timestamp written by `writeHybridTimestamp`. */
export function readHybridTimestamp(d: Decoder): HybridTimestamp {
  const replica = readReplicaId(d);
  const wallMs = d.uint();
  const logical = d.uint();
  return { wallMs, logical, replica };
}

/** A timestamp as bytes, with header (`decodeHybridTimestamp` reads it back). */
export function encodeHybridTimestamp(ts: HybridTimestamp): Uint8Array {
  const e = new Encoder().header(TypeTag.HybridTimestamp);
  writeHybridTimestamp(e, ts);
  return e.finish();
}

/** The timestamp `encodeHybridTimestamp` wrote. Throws DecodeError for malformed bytes. */
export function decodeHybridTimestamp(bytes: Uint8Array): HybridTimestamp {
  return decodeWith(bytes, TypeTag.HybridTimestamp, readHybridTimestamp);
}
