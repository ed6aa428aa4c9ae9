/**
 * The shape every replicated data type in crdt-core shares.
 *
 * Instances are MUTABLE containers; the ops they return, the views they give and version vectors
 * are immutable values. Each local mutation (`increment`, `add`, `set`…) changes the instance and
 * returns an op: a small self-describing delta carrying the event's dot (or timestamp) that any
 * replica can `apply`, in any order, any number of times. `merge` joins a whole state. Both return
 * whether anything changed, so a runtime can tell a duplicate from news.
 *
 * Every type also has `static decode(bytes)`, `static encodeOp(op)` and `static decodeOp(bytes)`
 * (types holding values T take a ValueCodec<T> as an extra argument).
 */
export interface Replicated<Self, Op, View> {
  /** What users see. */
  value(): View;
  /** Join one op (delta) from any replica; idempotent, commutative. Returns whether state changed. */
  apply(op: Op): boolean;
  /** Join another replica's state; commutative, associative, idempotent. Returns whether state changed. */
  merge(other: Self): boolean;
  clone(): Self;
  /** Canonical binary form: equal states encode to equal bytes. */
  encode(): Uint8Array;
}
