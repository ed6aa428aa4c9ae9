import { ReplicaTable } from './dot-codec.ts';
import { DotStore } from './dot-store.ts';
import { decodeWith, Encoder, TypeTag } from './encoding.ts';
import { compareDots, type Dot, type ReplicaId } from './replica-id.ts';
import type { Replicated } from './replicated.ts';
import type { ValueCodec } from './value-codec.ts';
import type { VersionVector } from './version-vector.ts';

/** A write of `value`, the event `dot`, superseding the siblings (`observed`) its writer had seen. */
export interface MvRegisterOp<T> {
  /** The write: its author and that author's event counter. */
  readonly dot: Dot;
  /** The value written. */
  readonly value: T;
  /** The siblings its writer had seen, which it supersedes. */
  readonly observed: readonly Dot[];
}

/** One concurrent value and the write that produced it. */
export interface Sibling<T> {
  /** The write that produced it. */
  readonly dot: Dot;
  /** The value. */
  readonly value: T;
}

/** All siblings share one group of the dot store. */
const REGISTER = '';

/**
 * Multi-value register: concurrent writes are all kept, as siblings, until a write that has seen
 * them supersedes them. MUTABLE. `value()` gives the distinct sibling values in codec-key order;
 * `siblings()` gives every sibling with its dot, in dot order.
 */
export class MvRegister<T> implements Replicated<MvRegister<T>, MvRegisterOp<T>, T[]> {
  private store: DotStore<T>;

  /** @param codec - how values are encoded and ordered (`stringCodec`, `integerCodec` or your own). */
  constructor(readonly codec: ValueCodec<T>) {
    this.store = new DotStore({ group: () => REGISTER, rank: codec.key });
  }

  /** Write `value` on behalf of `replica`, superseding every sibling seen here; returns the op to send. */
  set(replica: ReplicaId, value: T): MvRegisterOp<T> {
    this.codec.key(value); // type check before anything changes
    const observed = [...this.store.entries()].map((entry) => entry.dot).sort(compareDots);
    const op: MvRegisterOp<T> = { dot: this.store.context.next(replica), value, observed };
    this.apply(op);
    return op;
  }

  /** Distinct values of the siblings, in codec-key order ([] before the first write). */
  value(): T[] {
    const byKey = new Map<string, T>();
    for (const entry of this.store.entries()) byKey.set(this.codec.key(entry.payload), entry.payload);
    return [...byKey.keys()].sort().map((key) => byKey.get(key) as T);
  }

  /** Every sibling with the write that produced it, in dot order. */
  siblings(): Sibling<T>[] {
    return [...this.store.entries()]
      .sort((a, b) => compareDots(a.dot, b.dot))
      .map((entry) => ({ dot: entry.dot, value: entry.payload }));
  }

  /** The writes included without gaps, per replica. */
  version(): VersionVector {
    return this.store.context.version();
  }

  apply(op: MvRegisterOp<T>): boolean {
    return this.store.joinDelta({ dot: op.dot, payload: op.value }, [op.dot, ...op.observed]);
  }

  merge(other: MvRegister<T>): boolean {
    return this.store.join(other.store);
  }

  clone(): MvRegister<T> {
    const copy = new MvRegister(this.codec);
    copy.store = this.store.clone();
    return copy;
  }

  /** Layout: table, context, then siblings (dot, value) by dot. */
  encode(): Uint8Array {
    const siblings = this.siblings();
    const table = ReplicaTable.of([...this.store.context.replicas()]);
    const e = new Encoder().header(TypeTag.MvRegister);
    table.write(e);
    table.writeContext(e, this.store.context);
    e.uint(siblings.length);
    for (const sibling of siblings) {
      table.writeDot(e, sibling.dot);
      this.codec.write(e, sibling.value);
    }
    return e.finish();
  }

  /** The register that `encode()` wrote, its values read with `codec`. Throws DecodeError for malformed bytes. */
  static decode<T>(bytes: Uint8Array, codec: ValueCodec<T>): MvRegister<T> {
    return decodeWith(bytes, TypeTag.MvRegister, (d) => {
      const register = new MvRegister(codec);
      const table = ReplicaTable.read(d);
      const context = table.readContext(d);
      register.store.setContext(context);
      const n = d.count(3); // dot ≥ 2 bytes, value ≥ 1
      let previous: Dot | undefined;
      for (let i = 0; i < n; i++) {
        const dot = table.readDot(d);
        if (previous && compareDots(previous, dot) >= 0) d.fail('siblings are not strictly ascending');
        previous = dot;
        if (!context.has(dot)) d.fail('sibling dot missing from the causal context');
        const value = codec.read(d);
        codec.key(value);
        register.store.insert({ dot, payload: value });
      }
      return register;
    });
  }

  /** One operation as bytes, its value written with `codec` (`decodeOp` reads it back). */
  static encodeOp<T>(op: MvRegisterOp<T>, codec: ValueCodec<T>): Uint8Array {
    const table = ReplicaTable.of([op.dot.replica, ...op.observed.map((dot) => dot.replica)]);
    const e = new Encoder().header(TypeTag.MvRegisterOp);
    table.write(e);
    table.writeDot(e, op.dot);
    codec.write(e, op.value);
    table.writeDots(e, op.observed);
    return e.finish();
  }

  /** The operation `encodeOp` wrote. Throws DecodeError for malformed bytes. */
  static decodeOp<T>(bytes: Uint8Array, codec: ValueCodec<T>): MvRegisterOp<T> {
    return decodeWith(bytes, TypeTag.MvRegisterOp, (d) => {
      const table = ReplicaTable.read(d);
      const dot = table.readDot(d);
      const value = codec.read(d);
      codec.key(value);
      const observed = table.readObserved(d, dot);
      return { dot, value, observed };
    });
  }
}
