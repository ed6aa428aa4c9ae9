import { decodeWith, Encoder, TypeTag } from './encoding.ts';
import {
  compareHybridTimestamps,
  type HybridTimestamp,
  readHybridTimestamp,
  requireHybridTimestamp,
  writeHybridTimestamp,
} from './hybrid-clock.ts';
import type { Replicated } from './replicated.ts';
import type { ValueCodec } from './value-codec.ts';

/**
 * A write: `value` stamped with the writer's hybrid timestamp. The timestamp plays the role of a
 * dot (replica + a per-replica increasing clock), and the op is also a complete state.
 */
export interface LwwRegisterOp<T> {
  /** When, by the writer's hybrid logical clock, and by whom. */
  readonly timestamp: HybridTimestamp;
  /** The value written. */
  readonly value: T;
}

/**
 * Last-writer-wins register: the write with the highest timestamp wins; equal wall time and
 * logical counter fall back to the replica id. Concurrent writes are silently lost, which is the
 * point of keeping it next to the multi-value register. MUTABLE.
 *
 * Two different values under one timestamp only come from a misbehaving writer; the larger codec
 * key wins then, so merges still commute.
 */
export class LwwRegister<T> implements Replicated<LwwRegister<T>, LwwRegisterOp<T>, T | undefined> {
  private current: LwwRegisterOp<T> | undefined;

  /** @param codec - how values are encoded and compared (`stringCodec`, `integerCodec` or your own). */
  constructor(readonly codec: ValueCodec<T>) {}

  /** Write `value` at `timestamp` (from the writer's HybridLogicalClock). A stale timestamp just loses. */
  set(value: T, timestamp: HybridTimestamp): LwwRegisterOp<T> {
    this.codec.key(value);
    const op: LwwRegisterOp<T> = { timestamp: requireHybridTimestamp(timestamp), value };
    this.apply(op);
    return op;
  }

  /** The winning value (undefined before the first write). */
  value(): T | undefined {
    return this.current?.value;
  }

  /** The winning write's timestamp. */
  timestamp(): HybridTimestamp | undefined {
    return this.current?.timestamp;
  }

  /** Returns true iff `op` wins and becomes the value. */
  apply(op: LwwRegisterOp<T>): boolean {
    if (this.current && this.compare(op, this.current) <= 0) return false;
    this.current = op;
    return true;
  }

  merge(other: LwwRegister<T>): boolean {
    return other.current !== undefined && this.apply(other.current);
  }

  clone(): LwwRegister<T> {
    const copy = new LwwRegister(this.codec);
    copy.current = this.current;
    return copy;
  }

  private compare(a: LwwRegisterOp<T>, b: LwwRegisterOp<T>): number {
    const byTime = compareHybridTimestamps(a.timestamp, b.timestamp);
    if (byTime !== 0) return byTime;
    const ka = this.codec.key(a.value);
    const kb = this.codec.key(b.value);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  }

  /** Layout: 0 (never written) or 1 followed by timestamp and value. */
  encode(): Uint8Array {
    const e = new Encoder().header(TypeTag.LwwRegister);
    if (!this.current) return e.byte(0).finish();
    e.byte(1);
    writeWrite(e, this.current, this.codec);
    return e.finish();
  }

  /** The register that `encode()` wrote, its values read with `codec`. Throws DecodeError for malformed bytes. */
  static decode<T>(bytes: Uint8Array, codec: ValueCodec<T>): LwwRegister<T> {
    return decodeWith(bytes, TypeTag.LwwRegister, (d) => {
      const register = new LwwRegister(codec);
      const flag = d.byte();
      if (flag > 1) d.fail(`bad presence flag ${flag}`);
      if (flag === 1) {
        const timestamp = readHybridTimestamp(d);
        const value = codec.read(d);
        codec.key(value);
        register.current = { timestamp, value };
      }
      return register;
    });
  }

  /** One operation as bytes, its value written with `codec` (`decodeOp` reads it back). */
  static encodeOp<T>(op: LwwRegisterOp<T>, codec: ValueCodec<T>): Uint8Array {
    const e = new Encoder().header(TypeTag.LwwRegisterOp);
    writeWrite(e, op, codec);
    return e.finish();
  }

  /** The operation `encodeOp` wrote. Throws DecodeError for malformed bytes. */
  static decodeOp<T>(bytes: Uint8Array, codec: ValueCodec<T>): LwwRegisterOp<T> {
    return decodeWith(bytes, TypeTag.LwwRegisterOp, (d) => {
      const timestamp = readHybridTimestamp(d);
      const value = codec.read(d);
      codec.key(value);
      return { timestamp, value };
    });
  }
}

function writeWrite<T>(e: Encoder, op: LwwRegisterOp<T>, codec: ValueCodec<T>): void {
  writeHybridTimestamp(e, op.timestamp);
  codec.write(e, op.value);
}
