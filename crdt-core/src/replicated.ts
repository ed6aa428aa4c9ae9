/**
 * The shape every replicated data type in crdt-core shares.
 *
 * Instances are MUTABLE containers; the ops they return, the views they give and version vectors
 * are immutable values. Each local mutation (`increment`, `add`, `set`, `insert`…) changes the
 * instance and returns an op: a small self-describing delta carrying the event's dot (or timestamp
 * or character ids) that any replica can `apply` any number of times. `merge` joins a whole state.
 * Both tell whether anything changed, so a runtime can tell a duplicate from news.
 *
 * Every type also has `static decode(bytes)`, `static encodeOp(op)` and `static decodeOp(bytes)`
 * (types holding values T take a ValueCodec<T> as an extra argument; `Rga.decode` takes the replica
 * the document is for).
 *
 * @typeParam Self - the implementing type, which `merge` and `clone` take and give.
 * @typeParam Op - the operations its mutations return and `apply` takes.
 * @typeParam View - what `value()` returns.
 * @typeParam Applied - what `apply` returns: whether the state changed (`boolean`) for every type
 *   whose ops commute in any delivery order; `Rga`, whose ops name the characters they sit next to,
 *   returns an `ApplyResult` that can also say "deliver this again after its predecessors".
 */
export interface Replicated<Self, Op, View, Applied = boolean> {
  /** What users see. */
  value(): View;
  /** Join one op (delta) from any replica; idempotent. Tells whether the state changed. */
  apply(op: Op): Applied;
  /** Join another replica's state; commutative, associative, idempotent. Returns whether state changed. */
  merge(other: Self): boolean;
  /** An independent copy: changing one never changes the other. */
  clone(): Self;
  /**
   * Binary form that the type's `static decode` reads back. Canonical (equal states encode to equal
   * bytes) for every type but `Rga`, whose table of replica ids is in order of first appearance.
   */
  encode(): Uint8Array;
}
