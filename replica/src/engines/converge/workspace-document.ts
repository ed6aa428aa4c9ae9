import {
  Cart,
  type CartOp,
  type Decoder,
  decodeWith,
  Encoder,
  GCounter,
  type GCounterOp,
  type LoggedOp,
  MvRegister,
  type MvRegisterOp,
  OperationLog,
  PNCounter,
  type PNCounterOp,
  type ReplicaId,
  Rga,
  type RgaOp,
  readReplicaId,
  stringCodec,
  TypeTag,
  VersionVector,
} from '@converge/crdt-core';

/** One change to one field of the workspace. */
export type WorkspaceChange =
  | { readonly field: 'cart'; readonly op: CartOp }
  | { readonly field: 'text'; readonly op: RgaOp }
  | { readonly field: 'likes'; readonly op: GCounterOp }
  | { readonly field: 'stock'; readonly op: PNCounterOp }
  | { readonly field: 'note'; readonly op: MvRegisterOp<string> };

/** One change as the document's operation log numbers and delivers it. */
export type WorkspaceOp = LoggedOp<WorkspaceChange>;

/** What a WorkspaceDocument shows: every field's value. */
export interface WorkspaceValue {
  /** The text document. */
  readonly text: string;
  /** The cart: product → quantity. */
  readonly cart: Record<string, number>;
  /** The likes counter (grow-only). */
  readonly likes: number;
  /** The stock counter (up and down). */
  readonly stock: number;
  /** The note's sibling values (one unless writes were concurrent), sorted. */
  readonly note: string[];
}

const FIELD_CODES = { cart: 1, text: 2, likes: 3, stock: 4, note: 5 } as const;

/**
 * The workspace as one replicated document: a cart (OR-Map of PN-counters), a text (Rga), two
 * counters (likes: G-Counter, stock: PN-Counter) and a note (multi-value register, so concurrent
 * notes are kept side by side as siblings).
 *
 * Every local change becomes one operation in a causal operation log (crdt-core's OperationLog): numbered
 * per replica, stamped with the author's version vector, delivered in causal order on every replica
 * (so a text insert never arrives before the characters it is anchored to). Peers exchange version
 * vectors and ship each other the operations they lack; a peer too far behind the log (whose missing
 * operations arrived here folded into a snapshot) gets the whole state instead, which merges because
 * every field is a state-based CRDT too.
 */
export class WorkspaceDocument {
  private readonly log = new OperationLog<WorkspaceChange>();
  private cart = new Cart();
  private text: Rga;
  private likes = new GCounter();
  private stock = new PNCounter();
  private note = new MvRegister<string>(stringCodec);

  /** @param replica - the replica this document belongs to: its local changes are this replica's. */
  constructor(readonly replica: ReplicaId) {
    this.text = new Rga(replica);
  }

  // ---------------------------------------------------------------- reading

  /** Every field's current value. */
  value(): WorkspaceValue {
    return {
      text: this.text.toString(),
      cart: this.cart.value(),
      likes: this.likes.value(),
      stock: this.stock.value(),
      note: this.note.value(),
    };
  }

  /** The text alone (cheaper than `value()` when only the text is needed). */
  textContent(): string {
    return this.text.toString();
  }

  /** Operations delivered, per replica. */
  version(): VersionVector {
    return this.log.version();
  }

  /** Operations that arrived before those they depend on and wait. */
  get waitingCount(): number {
    return this.log.waitingCount;
  }

  // ---------------------------------------------------------------- local changes (each returns its operation)

  /** Add `qty` (> 0) of `product` to the cart. */
  addToCart(product: string, qty: number): WorkspaceOp {
    return this.local({ field: 'cart', op: this.cart.add(this.replica, product, qty) });
  }

  /** Take `qty` (> 0) off `product`'s line. */
  decrementCart(product: string, qty: number): WorkspaceOp {
    return this.local({ field: 'cart', op: this.cart.decrement(this.replica, product, qty) });
  }

  /** Remove `product`'s line as far as this replica has seen it. */
  removeFromCart(product: string): WorkspaceOp {
    return this.local({ field: 'cart', op: this.cart.remove(this.replica, product) });
  }

  /** Set `product`'s quantity to `qty` as this replica sees it (0 removes the line). */
  setCartQuantity(product: string, qty: number): WorkspaceOp {
    return this.local({ field: 'cart', op: this.cart.setQuantity(this.replica, product, qty) });
  }

  /** Null when there is nothing to insert. */
  insertText(index: number, text: string): WorkspaceOp | null {
    const op = this.text.insert(index, text);
    return op === null ? null : this.local({ field: 'text', op });
  }

  /** Null when nothing was deleted. */
  deleteText(index: number, length: number): WorkspaceOp | null {
    const op = this.text.delete(index, length);
    return op === null ? null : this.local({ field: 'text', op });
  }

  /** Add `by` (> 0) likes. */
  addLikes(by: number): WorkspaceOp {
    return this.local({ field: 'likes', op: this.likes.increment(this.replica, by) });
  }

  /** Change the stock by `by` (negative to take away). */
  changeStock(by: number): WorkspaceOp {
    const op = by >= 0 ? this.stock.increment(this.replica, by) : this.stock.decrement(this.replica, -by);
    return this.local({ field: 'stock', op });
  }

  /** Write the note, superseding every version of it seen here. */
  setNote(value: string): WorkspaceOp {
    return this.local({ field: 'note', op: this.note.set(this.replica, value) });
  }

  private local(change: WorkspaceChange): WorkspaceOp {
    return this.log.next(this.replica, change);
  }

  // ---------------------------------------------------------------- sync

  /** Accept operations from peers (any order, duplicates allowed); returns those delivered now. */
  receive(ops: Iterable<WorkspaceOp>): WorkspaceOp[] {
    return this.log.receive(ops, (op) => this.applyChange(op.body));
  }

  /** What a peer at `peer` lacks, in causal order; undefined when it needs the whole state (`encodeState`). */
  missing(peer: VersionVector): WorkspaceOp[] | undefined {
    return this.log.missing(peer);
  }

  private applyChange(change: WorkspaceChange): void {
    switch (change.field) {
      case 'cart':
        this.cart.apply(change.op);
        break;
      case 'text':
        // Causal delivery guarantees the anchors are here; anything else is a corrupt operation.
        if (this.text.apply(change.op) === 'missing-dependency') {
          throw new RangeError('text operation delivered before the text it refers to');
        }
        break;
      case 'likes':
        this.likes.apply(change.op);
        break;
      case 'stock':
        this.stock.apply(change.op);
        break;
      case 'note':
        this.note.apply(change.op);
        break;
    }
  }

  // ---------------------------------------------------------------- whole state

  /** The whole document: snapshot for the store and state transfer for peers behind the log. */
  encodeState(): Uint8Array {
    const e = new Encoder(256).header(TypeTag.WorkspaceSnapshot);
    this.log.version().write(e);
    e.bytes(this.cart.encode());
    e.bytes(this.likes.encode());
    e.bytes(this.stock.encode());
    e.bytes(this.note.encode());
    e.bytes(this.text.encode());
    return e.finish();
  }

  /**
   * Merge a whole state (ours from the store, or a peer's). Returns the operations that became
   * deliverable because of it. Throws DecodeError for corrupt bytes, changing nothing.
   */
  mergeState(bytes: Uint8Array): WorkspaceOp[] {
    const state = decodeWith(bytes, TypeTag.WorkspaceSnapshot, (d) => ({
      version: VersionVector.read(d),
      cart: Cart.decode(d.bytes()),
      likes: GCounter.decode(d.bytes()),
      stock: PNCounter.decode(d.bytes()),
      note: MvRegister.decode(d.bytes(), stringCodec),
      text: Rga.decode(d.bytes(), this.replica),
    }));
    // Work on copies: a merge that fails half-way (e.g. an overflowing counter) must change nothing.
    const cart = this.cart.clone();
    const likes = this.likes.clone();
    const stock = this.stock.clone();
    const note = this.note.clone();
    cart.merge(state.cart);
    likes.merge(state.likes);
    stock.merge(state.stock);
    note.merge(state.note);
    if (Object.keys(this.text.version()).length === 0) {
      this.text = state.text; // decoded for our replica: adopt it whole (the fast path when loading)
    } else {
      this.text.merge(state.text);
    }
    this.cart = cart;
    this.likes = likes;
    this.stock = stock;
    this.note = note;
    return this.log.advance(state.version, (op) => this.applyChange(op.body));
  }

  /** A document restored from `encodeState` bytes. */
  static fromState(bytes: Uint8Array, replica: ReplicaId): WorkspaceDocument {
    const doc = new WorkspaceDocument(replica);
    doc.mergeState(bytes);
    return doc;
  }

  // ---------------------------------------------------------------- operation codec

  /** Operations as bytes, for a peer or a log (`decodeOps` reads them back). */
  static encodeOps(ops: readonly WorkspaceOp[]): Uint8Array {
    const e = new Encoder(64).header(TypeTag.WorkspaceOps);
    e.uint(ops.length);
    for (const op of ops) {
      e.string(op.replica);
      e.uint(op.counter);
      op.deps.write(e);
      e.byte(FIELD_CODES[op.body.field]);
      e.bytes(encodeChange(op.body));
    }
    return e.finish();
  }

  /** Throws DecodeError for anything that is not a well-formed list of operations. */
  static decodeOps(bytes: Uint8Array): WorkspaceOp[] {
    return decodeWith(bytes, TypeTag.WorkspaceOps, (d) => {
      const count = d.count(4);
      const ops: WorkspaceOp[] = [];
      for (let i = 0; i < count; i++) {
        const replica = readReplicaId(d);
        const counter = d.uint();
        if (counter < 1) d.fail('operation counter must be at least 1');
        const deps = VersionVector.read(d);
        if (deps.get(replica) !== counter - 1)
          d.fail('operation deps must count every earlier operation of its author');
        ops.push({ replica, counter, deps, body: readChange(d) });
      }
      return ops;
    });
  }
}

function encodeChange(change: WorkspaceChange): Uint8Array {
  switch (change.field) {
    case 'cart':
      return Cart.encodeOp(change.op);
    case 'text':
      return Rga.encodeOp(change.op);
    case 'likes':
      return GCounter.encodeOp(change.op);
    case 'stock':
      return PNCounter.encodeOp(change.op);
    case 'note':
      return MvRegister.encodeOp(change.op, stringCodec);
  }
}

function readChange(d: Decoder): WorkspaceChange {
  const code = d.byte();
  const body = d.bytes();
  switch (code) {
    case FIELD_CODES.cart:
      return { field: 'cart', op: Cart.decodeOp(body) };
    case FIELD_CODES.text:
      return { field: 'text', op: Rga.decodeOp(body) };
    case FIELD_CODES.likes:
      return { field: 'likes', op: GCounter.decodeOp(body) };
    case FIELD_CODES.stock:
      return { field: 'stock', op: PNCounter.decodeOp(body) };
    case FIELD_CODES.note:
      return { field: 'note', op: MvRegister.decodeOp(body, stringCodec) };
    default:
      return d.fail(`unknown workspace field ${code}`);
  }
}
