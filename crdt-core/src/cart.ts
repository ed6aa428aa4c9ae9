import { ReplicaTable } from './dot-codec.ts';
import { type DotEntry, DotStore } from './dot-store.ts';
import { decodeWith, Encoder, TypeTag } from './encoding.ts';
import { compareDots, type Dot, type ReplicaId } from './replica-id.ts';
import type { Replicated } from './replicated.ts';
import {
  exactSum,
  readSafeInteger,
  requireNonNegativeSafeInteger,
  requirePositiveSafeInteger,
  requireSafeResult,
  writeSafeInteger,
} from './safe-integer.ts';
import type { VersionVector } from './version-vector.ts';

/**
 * One change to a line, the event `dot`: adds the signed `amount` (0 for a remove, which adds no
 * entry) and deletes the line's events in `observed` (a remove's view of the line; empty otherwise).
 */
export interface CartOp {
  /** The event: its author and that author's event counter. */
  readonly dot: Dot;
  /** The line it changes. */
  readonly product: string;
  /** Signed change to the line's quantity; 0 for a remove. */
  readonly amount: number;
  /** The line's events it deletes (a remove's view of the line; empty otherwise). */
  readonly observed: readonly Dot[];
}

/** One line of the cart as `lines()` lists it. */
export interface CartLine {
  /** The product id. */
  readonly product: string;
  /** May be ≤ 0 after concurrent decrements: an oversell, shown rather than hidden. */
  readonly quantity: number;
}

/** What a live event of a line carries. */
interface Change {
  readonly product: string;
  readonly amount: number;
}

/**
 * The shopping cart: an observed-remove map from product id to a quantity counter (an OR-Map of
 * PN-counters with reset-remove semantics).
 *
 * Every change to a line is an event with its own dot and a signed amount; a line's quantity is the
 * sum of the amounts of its live events.
 * - `add(product, qty)` (qty > 0): +qty.
 * - `decrement(product, qty)` (qty > 0): −qty, a counter step like `add`: "one less" concurrent with
 *   "one more" elsewhere leaves the line where it was.
 * - `setQuantity(product, qty)`: +(qty − q), where q is the quantity this replica sees, so
 *   concurrent calls add up their differences (5 → 7 here and 5 → 6 there gives 8).
 *   `setQuantity(product, 0)` is a `remove`.
 * - `remove(product)`: deletes the events this replica has seen: it resets what it observed. A
 *   change concurrent with the remove survives it, alone: "remove ∥ add 2" leaves the line at 2.
 *
 * RULE FOR LINES AT OR BELOW ZERO: a line exists while it has at least one live event. Concurrent
 * decrements (or a decrement concurrent with a remove: 5 → 3 here ∥ remove there leaves −2) can
 * bring its quantity to 0 or below. Such a line is NOT hidden: `value()` and `lines()` report it
 * as it is, so the UI shows the oversell and a user can fix it; `oversold()` lists exactly those
 * lines. A line disappears only when a remove (or setQuantity 0) has seen all its events.
 *
 * Cost: a line keeps one entry per change since the last remove that covered it (entries cannot be
 * folded together without breaking the reset rule above). Quantities stay safe integers: a change,
 * op or merge that would push a line outside that range throws a RangeError and changes nothing.
 */
export class Cart implements Replicated<Cart, CartOp, Record<string, number>> {
  private store = new DotStore<Change>({
    group: (change) => change.product,
    rank: (change) => JSON.stringify([change.product, change.amount]),
  });

  /** Add `qty` (> 0) to the line, creating it if needed. */
  add(replica: ReplicaId, product: string, qty: number): CartOp {
    requireProduct(product);
    requirePositiveSafeInteger(qty, 'quantity to add');
    return this.commit({ dot: this.store.context.next(replica), product, amount: qty, observed: [] });
  }

  /** Take `qty` (> 0) off the line: a counter step, so concurrent changes elsewhere add up with it. */
  decrement(replica: ReplicaId, product: string, qty: number): CartOp {
    requireProduct(product);
    requirePositiveSafeInteger(qty, 'quantity to take off');
    return this.commit({ dot: this.store.context.next(replica), product, amount: -qty, observed: [] });
  }

  /** Delete the line as this replica sees it; concurrent changes elsewhere survive. */
  remove(replica: ReplicaId, product: string): CartOp {
    requireProduct(product);
    const observed = this.store
      .group(product)
      .map((entry) => entry.dot)
      .sort(compareDots);
    return this.commit({ dot: this.store.context.next(replica), product, amount: 0, observed });
  }

  /** Change the line by the difference to what this replica sees; 0 removes the line. */
  setQuantity(replica: ReplicaId, product: string, qty: number): CartOp {
    requireProduct(product);
    requireNonNegativeSafeInteger(qty, 'quantity');
    if (qty === 0) return this.remove(replica, product);
    const amount = requireSafeResult(qty - this.quantity(product), 'quantity change');
    return this.commit({ dot: this.store.context.next(replica), product, amount, observed: [] });
  }

  private commit(op: CartOp): CartOp {
    this.apply(op);
    return op;
  }

  /** The line's quantity (0 when there is no line). */
  quantity(product: string): number {
    return exactSum(this.store.group(product).map((entry) => entry.payload.amount));
  }

  /** Whether the cart has a line for `product` (whatever its quantity). */
  has(product: string): boolean {
    return this.store.group(product).length > 0;
  }

  /** Every line, by product id; quantities may be ≤ 0 (see the rule in the class comment). */
  lines(): CartLine[] {
    return this.store
      .groupKeys()
      .sort()
      .map((product) => ({ product, quantity: this.quantity(product) }));
  }

  /** The lines whose quantity is 0 or below: oversells the UI should point out. */
  oversold(): CartLine[] {
    return this.lines().filter((line) => line.quantity <= 0);
  }

  /** product → quantity for every line, keys in product order. */
  value(): Record<string, number> {
    return Object.fromEntries(this.lines().map((line) => [line.product, line.quantity]));
  }

  /** The events included without gaps, per replica. */
  version(): VersionVector {
    return this.store.context.version();
  }

  apply(op: CartOp): boolean {
    const entry =
      op.amount !== 0 ? { dot: op.dot, payload: { product: op.product, amount: op.amount } } : undefined;
    return this.store.joinDelta(entry, [op.dot, ...op.observed], (lines) => this.checkLines(lines));
  }

  merge(other: Cart): boolean {
    return this.store.join(other.store, (lines) => this.checkLines(lines));
  }

  clone(): Cart {
    const copy = new Cart();
    copy.store = this.store.clone();
    return copy;
  }

  private checkLines(products: ReadonlySet<string>): void {
    for (const product of products) {
      if (!Number.isSafeInteger(this.quantity(product))) {
        throw new RangeError(`quantity of ${product} would leave the safe integer range`);
      }
    }
  }

  /** Layout: table, context, then lines by product, each with its (dot, amount) entries by dot. */
  encode(): Uint8Array {
    const table = ReplicaTable.of([...this.store.context.replicas()]);
    const e = new Encoder().header(TypeTag.Cart);
    table.write(e);
    table.writeContext(e, this.store.context);
    const products = this.store.groupKeys().sort();
    e.uint(products.length);
    for (const product of products) {
      const entries = this.store.group(product).sort((a, b) => compareDots(a.dot, b.dot));
      e.string(product).uint(entries.length);
      for (const entry of entries) {
        table.writeDot(e, entry.dot);
        writeSafeInteger(e, entry.payload.amount);
      }
    }
    return e.finish();
  }

  /** The cart that `encode()` wrote. Throws DecodeError for malformed bytes. */
  static decode(bytes: Uint8Array): Cart {
    return decodeWith(bytes, TypeTag.Cart, (d) => {
      const cart = new Cart();
      const table = ReplicaTable.read(d);
      const context = table.readContext(d);
      cart.store.setContext(context);
      const lines = d.count(7); // product ≥ 2 bytes, entry count, one entry (dot ≥ 2, amount ≥ 2)
      let previous: string | undefined;
      for (let i = 0; i < lines; i++) {
        const product = d.string();
        if (product.length === 0) d.fail('empty product id');
        if (previous !== undefined && !(previous < product)) d.fail('products are not strictly ascending');
        previous = product;
        const n = d.count(4);
        if (n === 0) d.fail(`line ${product} has no entries`);
        const entries: DotEntry<Change>[] = [];
        for (let j = 0; j < n; j++) {
          const dot = table.readDot(d);
          const amount = readSafeInteger(d);
          if (amount === 0) d.fail('zero amount');
          if (!context.has(dot)) d.fail('line dot missing from the causal context');
          const last = entries[entries.length - 1];
          if (last && compareDots(last.dot, dot) >= 0) d.fail('line entries are not strictly ascending');
          entries.push({ dot, payload: { product, amount } });
        }
        for (const entry of entries) cart.store.insert(entry);
        if (!Number.isSafeInteger(cart.quantity(product))) d.fail(`quantity of ${product} is out of range`);
      }
      return cart;
    });
  }

  /** One operation as bytes (`decodeOp` reads it back). */
  static encodeOp(op: CartOp): Uint8Array {
    const table = ReplicaTable.of([op.dot.replica, ...op.observed.map((dot) => dot.replica)]);
    const e = new Encoder().header(TypeTag.CartOp);
    table.write(e);
    table.writeDot(e, op.dot);
    e.string(op.product);
    writeSafeInteger(e, op.amount);
    table.writeDots(e, op.observed);
    return e.finish();
  }

  /** The operation `encodeOp` wrote. Throws DecodeError for malformed bytes. */
  static decodeOp(bytes: Uint8Array): CartOp {
    return decodeWith(bytes, TypeTag.CartOp, (d) => {
      const table = ReplicaTable.read(d);
      const dot = table.readDot(d);
      const product = d.string();
      if (product.length === 0) d.fail('empty product id');
      const amount = readSafeInteger(d);
      const observed = table.readObserved(d, dot);
      return { dot, product, amount, observed };
    });
  }
}

function requireProduct(product: string): void {
  if (typeof product !== 'string' || product.length === 0) {
    throw new TypeError('product id must be a non-empty string');
  }
}
