import { ReplicaTable } from './dot-codec.ts';
import { type DotEntry, DotStore } from './dot-store.ts';
import { decodeWith, Encoder, TypeTag } from './encoding.ts';
import { compareDots, type Dot, type ReplicaId } from './replica-id.ts';
import type { Replicated } from './replicated.ts';
import type { ValueCodec } from './value-codec.ts';
import type { VersionVector } from './version-vector.ts';

/**
 * An add or a remove of `value`, the event `dot`. `observed` lists the dots of `value` the writer
 * had seen: both kinds remove them (an add re-tags the element with its own dot). A remove still
 * gets a dot so that every op is identifiable and counted in the version vector. Ops made here list
 * `observed` in dot order.
 */
export interface OrSetOp<T> {
  /** Whether it adds or removes `value`. */
  readonly kind: 'add' | 'remove';
  /** The event: its author and that author's event counter. */
  readonly dot: Dot;
  /** The element added or removed. */
  readonly value: T;
  /** The element's tags its writer had seen, which it deletes. */
  readonly observed: readonly Dot[];
}

/**
 * Add-wins observed-remove set. Each add tags its element with a fresh dot; a remove deletes only
 * the tags it has seen, so an add concurrent with a remove survives it. Removed tags leave no
 * tombstone: the causal context remembers their dots. MUTABLE.
 *
 * Elements are any T with a ValueCodec (identity by `codec.key`); `value()` lists them in key order.
 */
export class OrSet<T> implements Replicated<OrSet<T>, OrSetOp<T>, T[]> {
  private store: DotStore<T>;

  /** @param codec - how elements are encoded and told apart (`stringCodec`, `integerCodec` or your own). */
  constructor(readonly codec: ValueCodec<T>) {
    this.store = new DotStore({ group: codec.key, rank: codec.key });
  }

  /** Add `value` on behalf of `replica` (re-tagging it if present); returns the op to send. */
  add(replica: ReplicaId, value: T): OrSetOp<T> {
    return this.mutate('add', replica, value);
  }

  /** Remove the element as far as this replica has seen it (a no-op event if it is absent). */
  remove(replica: ReplicaId, value: T): OrSetOp<T> {
    return this.mutate('remove', replica, value);
  }

  private mutate(kind: OrSetOp<T>['kind'], replica: ReplicaId, value: T): OrSetOp<T> {
    const observed = this.store
      .group(this.codec.key(value))
      .map((entry) => entry.dot)
      .sort(compareDots);
    const op: OrSetOp<T> = { kind, dot: this.store.context.next(replica), value, observed };
    this.apply(op);
    return op;
  }

  /** Whether `value` is in the set. */
  has(value: T): boolean {
    return this.store.group(this.codec.key(value)).length > 0;
  }

  /** The elements, ordered by codec key. */
  value(): T[] {
    return this.store
      .groupKeys()
      .sort()
      .map((key) => (this.store.group(key)[0] as DotEntry<T>).payload);
  }

  /** How many elements the set holds. */
  get size(): number {
    return this.store.groupKeys().length;
  }

  /** The events included without gaps, per replica (out-of-order arrivals above a gap are not counted). */
  version(): VersionVector {
    return this.store.context.version();
  }

  apply(op: OrSetOp<T>): boolean {
    const entry = op.kind === 'add' ? { dot: op.dot, payload: op.value } : undefined;
    return this.store.joinDelta(entry, [op.dot, ...op.observed]);
  }

  merge(other: OrSet<T>): boolean {
    return this.store.join(other.store);
  }

  clone(): OrSet<T> {
    const copy = new OrSet(this.codec);
    copy.store = this.store.clone();
    return copy;
  }

  /** Layout: table, context, then elements in key order, each with its dots ascending. */
  encode(): Uint8Array {
    const elements = this.store
      .groupKeys()
      .sort()
      .map((key) => this.store.group(key));
    const table = ReplicaTable.of([...this.store.context.replicas()]);
    const e = new Encoder().header(TypeTag.OrSet);
    table.write(e);
    table.writeContext(e, this.store.context);
    e.uint(elements.length);
    for (const entries of elements) {
      this.codec.write(e, (entries[0] as DotEntry<T>).payload);
      table.writeDots(
        e,
        entries.map((entry) => entry.dot),
      );
    }
    return e.finish();
  }

  /** The set that `encode()` wrote, its values read with `codec`. Throws DecodeError for malformed bytes. */
  static decode<T>(bytes: Uint8Array, codec: ValueCodec<T>): OrSet<T> {
    return decodeWith(bytes, TypeTag.OrSet, (d) => {
      const set = new OrSet(codec);
      const table = ReplicaTable.read(d);
      const context = table.readContext(d);
      set.store.setContext(context);
      const n = d.count(4); // value ≥ 1 byte, dot count, one dot ≥ 2 bytes
      let previousKey: string | undefined;
      for (let i = 0; i < n; i++) {
        const value = codec.read(d);
        const key = codec.key(value);
        if (previousKey !== undefined && !(previousKey < key)) d.fail('elements are not strictly ascending');
        previousKey = key;
        const dots = table.readDots(d);
        if (dots.length === 0) d.fail('element without dots');
        for (const dot of dots) {
          if (!context.has(dot)) d.fail('element dot missing from the causal context');
          set.store.insert({ dot, payload: value });
        }
      }
      return set;
    });
  }

  /** One operation as bytes, its value written with `codec` (`decodeOp` reads it back). */
  static encodeOp<T>(op: OrSetOp<T>, codec: ValueCodec<T>): Uint8Array {
    const table = ReplicaTable.of([op.dot.replica, ...op.observed.map((dot) => dot.replica)]);
    const e = new Encoder().header(TypeTag.OrSetOp);
    table.write(e);
    e.byte(op.kind === 'add' ? 0 : 1);
    table.writeDot(e, op.dot);
    codec.write(e, op.value);
    table.writeDots(e, op.observed);
    return e.finish();
  }

  /** The operation `encodeOp` wrote. Throws DecodeError for malformed bytes. */
  static decodeOp<T>(bytes: Uint8Array, codec: ValueCodec<T>): OrSetOp<T> {
    return decodeWith(bytes, TypeTag.OrSetOp, (d) => {
      const table = ReplicaTable.read(d);
      const kindByte = d.byte();
      if (kindByte > 1) d.fail(`unknown OR-Set op kind ${kindByte}`);
      const dot = table.readDot(d);
      const value = codec.read(d);
      codec.key(value);
      const observed = table.readObserved(d, dot);
      return { kind: kindByte === 0 ? 'add' : 'remove', dot, value, observed };
    });
  }
}
