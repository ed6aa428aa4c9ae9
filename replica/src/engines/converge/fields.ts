/**
 * Each kind of workspace field as a crdt-core CRDT in the converge engine's document: its local edits,
 * its operations and their codec, its state and how two states merge.
 */
import {
  Cart,
  type CartOp,
  DecodeError,
  type Dot,
  decodeRgaOps,
  encodeRgaOp,
  GCounter,
  type GCounterOp,
  type IdPlace,
  type IdRange,
  MvRegister,
  type MvRegisterOp,
  PNCounter,
  type PNCounterOp,
  type ReplicaId,
  Rga,
  type RgaId,
  type RgaOp,
  stringCodec,
} from '@converge/crdt-core';
import type { FieldEdit, FieldKind, NamedField } from '../../schema.ts';
import type { TextDelta } from '../../text-delta.ts';

/** Told every change of a text field's visible text, local or remote, as it happens. */
export type TextListener = (delta: TextDelta) => void;

const ignoreText: TextListener = () => {};

/** One field of the document. */
export interface DocumentField {
  /** Text merges into itself (so it may grow huge without a copy); the others merge into a copy. */
  readonly mergesInPlace: boolean;
  value(): unknown;
  /** The operation that carries out `edit` here (applied already), or null when it changes nothing. */
  local(edit: FieldEdit, replica: ReplicaId): unknown;
  /** Apply an operation delivered in causal order. */
  apply(op: unknown): void;
  encode(): Uint8Array;
  /**
   * The state for the store, as `decodeField` reads `encode()`'s, where that is cheaper to write again
   * and again: a text's `Rga.save` (the last save's bytes and the operations since); the other fields'
   * `encode()` kept from the last save until they change (compaction saves every field, and while the
   * user types only the text changes). Else `encode`.
   */
  save?(): Uint8Array;
  /** This state merged with another of the same field (a copy, unless it merges in place). */
  mergedWith(incoming: DocumentField): DocumentField;
}

/** A field's kind in its state's bytes. */
export const KIND_CODES: Readonly<Record<FieldKind, number>> = {
  counter: 1,
  'pn-counter': 2,
  cart: 3,
  text: 4,
  register: 5,
};

export function kindOfCode(code: number): FieldKind | undefined {
  return (Object.keys(KIND_CODES) as FieldKind[]).find((kind) => KIND_CODES[kind] === code);
}

/** How each kind encodes its operations (independent of any state). */
export const OP_CODECS: Readonly<
  Record<FieldKind, { encodeOp(op: unknown): Uint8Array; decodeOp(bytes: Uint8Array): unknown }>
> = {
  counter: {
    encodeOp: (op) => GCounter.encodeOp(op as GCounterOp),
    decodeOp: (bytes) => GCounter.decodeOp(bytes),
  },
  'pn-counter': {
    encodeOp: (op) => PNCounter.encodeOp(op as PNCounterOp),
    decodeOp: (bytes) => PNCounter.decodeOp(bytes),
  },
  cart: { encodeOp: (op) => Cart.encodeOp(op as CartOp), decodeOp: (bytes) => Cart.decodeOp(bytes) },
  text: {
    encodeOp: (op) => encodeRgaOp(op as RgaOp),
    decodeOp: (bytes) => {
      const ops = decodeRgaOps(bytes);
      if (ops.length !== 1) throw new DecodeError('a text change holds exactly one operation', 0);
      return ops[0];
    },
  },
  register: {
    encodeOp: (op) => MvRegister.encodeOp(op as MvRegisterOp<string>, stringCodec),
    decodeOp: (bytes) => MvRegister.decodeOp(bytes, stringCodec),
  },
};

export function emptyField(
  field: NamedField,
  replica: ReplicaId,
  onText: TextListener = ignoreText,
): DocumentField {
  switch (field.kind) {
    case 'counter':
      return new CounterField(new GCounter());
    case 'pn-counter':
      return new PnCounterField(new PNCounter());
    case 'cart':
      return new CartField(new Cart());
    case 'text':
      return new TextField(new Rga(replica), onText);
    case 'register':
      return new RegisterField(new MvRegister<string>(stringCodec));
  }
}

/** A field's state from its bytes; throws DecodeError for corrupt ones. */
export function decodeField(field: NamedField, bytes: Uint8Array, replica: ReplicaId): DocumentField {
  switch (field.kind) {
    case 'counter':
      return new CounterField(GCounter.decode(bytes));
    case 'pn-counter':
      return new PnCounterField(PNCounter.decode(bytes));
    case 'cart':
      return new CartField(Cart.decode(bytes));
    case 'text':
      return new TextField(Rga.decode(bytes, replica), ignoreText);
    case 'register':
      return new RegisterField(MvRegister.decode(bytes, stringCodec));
  }
}

/**
 * A field whose stored state is its whole `encode()`, kept from the last save until the field changes
 * (compaction saves every field, and while the user types only the text changes). A subclass calls
 * `changed()` on every edit, local or remote.
 */
abstract class SavedUntilChanged {
  private saved: Uint8Array | undefined;
  abstract encode(): Uint8Array;
  save(): Uint8Array {
    this.saved ??= this.encode();
    return this.saved;
  }
  protected changed(): void {
    this.saved = undefined;
  }
}

class CounterField extends SavedUntilChanged implements DocumentField {
  readonly mergesInPlace = false;
  constructor(private readonly counter: GCounter) {
    super();
  }
  value(): number {
    return this.counter.value();
  }
  local(edit: FieldEdit, replica: ReplicaId): GCounterOp {
    this.changed();
    return this.counter.increment(replica, (edit as Extract<FieldEdit, { action: 'increment' }>).by);
  }
  apply(op: unknown): void {
    this.changed();
    this.counter.apply(op as GCounterOp);
  }
  encode(): Uint8Array {
    return this.counter.encode();
  }
  mergedWith(incoming: DocumentField): DocumentField {
    const copy = this.counter.clone();
    copy.merge((incoming as CounterField).counter);
    return new CounterField(copy);
  }
}

class PnCounterField extends SavedUntilChanged implements DocumentField {
  readonly mergesInPlace = false;
  constructor(private readonly counter: PNCounter) {
    super();
  }
  value(): number {
    return this.counter.value();
  }
  local(edit: FieldEdit, replica: ReplicaId): PNCounterOp {
    this.changed();
    const { by } = edit as Extract<FieldEdit, { action: 'increment' }>;
    return by >= 0 ? this.counter.increment(replica, by) : this.counter.decrement(replica, -by);
  }
  apply(op: unknown): void {
    this.changed();
    this.counter.apply(op as PNCounterOp);
  }
  encode(): Uint8Array {
    return this.counter.encode();
  }
  mergedWith(incoming: DocumentField): DocumentField {
    const copy = this.counter.clone();
    copy.merge((incoming as PnCounterField).counter);
    return new PnCounterField(copy);
  }
}

export class CartField extends SavedUntilChanged implements DocumentField {
  readonly mergesInPlace = false;
  constructor(private readonly cart: Cart) {
    super();
  }
  value(): Record<string, number> {
    return this.cart.value();
  }
  local(edit: FieldEdit, replica: ReplicaId): CartOp | null {
    this.changed();
    if (edit.kind !== 'cart') throw new TypeError(`a cart cannot ${edit.action}`);
    switch (edit.action) {
      case 'add':
        return this.cart.add(replica, edit.product, edit.qty);
      case 'decrement':
        return edit.product in this.cart.value()
          ? this.cart.decrement(replica, edit.product, edit.qty)
          : null;
      case 'remove':
        return edit.product in this.cart.value() ? this.cart.remove(replica, edit.product) : null;
      case 'setQuantity':
        return this.cart.setQuantity(replica, edit.product, edit.qty);
    }
  }
  apply(op: unknown): void {
    this.changed();
    this.cart.apply(op as CartOp);
  }
  /** A line's quantity, undefined when the cart has no line for `product`. */
  line(product: string): number | undefined {
    return this.cart.has(product) ? this.cart.quantity(product) : undefined;
  }
  encode(): Uint8Array {
    return this.cart.encode();
  }
  mergedWith(incoming: DocumentField): DocumentField {
    const copy = this.cart.clone();
    copy.merge((incoming as CartField).cart);
    return new CartField(copy);
  }
}

export class TextField implements DocumentField {
  readonly mergesInPlace = true;
  private readonly remote: (index: number, deleted: number, inserted: string) => void;

  constructor(
    private rga: Rga,
    private readonly onText: TextListener,
  ) {
    this.remote = (pos, del, text) => onText({ pos, del, text });
    rga.observeRemote(this.remote);
  }
  value(): string {
    return this.rga.toString();
  }
  local(edit: FieldEdit, _replica: ReplicaId): RgaOp | null {
    if (edit.kind !== 'text') throw new TypeError(`a text cannot ${edit.action}`);
    if (edit.action === 'insert') {
      const op = this.rga.insert(edit.pos, edit.text);
      if (op !== null) this.onText({ pos: edit.pos, del: 0, text: edit.text });
      return op;
    }
    const op = this.rga.delete(edit.pos, edit.len);
    if (op !== null) this.onText({ pos: edit.pos, del: edit.len, text: '' });
    return op;
  }
  /** Insert `text` right before character `id`, visible or deleted (crdt-core's `Rga.insertBefore`). */
  insertBefore(id: RgaId, text: string): RgaOp | null {
    const done = this.rga.insertBefore(id, text);
    if (done !== null) this.onText({ pos: done.index, del: 0, text });
    return done?.op ?? null;
  }
  /** Where these characters are now (crdt-core's `Rga.placesOf`). */
  places(ranges: readonly IdRange[]): IdPlace[] {
    return this.rga.placesOf(ranges);
  }
  apply(op: unknown): void {
    // Causal delivery guarantees the anchors are here; anything else is a corrupt operation.
    if (this.rga.apply(op as RgaOp) === 'missing-dependency') {
      throw new RangeError('text operation delivered before the text it refers to');
    }
  }
  encode(): Uint8Array {
    return this.rga.encode();
  }
  save(): Uint8Array {
    return this.rga.save();
  }
  mergedWith(incoming: DocumentField): DocumentField {
    const other = (incoming as TextField).rga;
    if (Object.keys(this.rga.version()).length === 0) {
      // Decoded for our replica: adopt it whole (the fast path when loading), and say so once.
      this.rga.observeRemote(null);
      this.rga = other;
      other.observeRemote(this.remote);
      if (other.length > 0) this.onText({ pos: 0, del: 0, text: other.toString() });
    } else {
      // Applies what it can place and throws for the rest; replicas in sync are told apart from the
      // two documents' columns, without building a delta.
      this.rga.merge(other);
    }
    return this;
  }
}

export class RegisterField extends SavedUntilChanged implements DocumentField {
  readonly mergesInPlace = false;
  constructor(private readonly register: MvRegister<string>) {
    super();
  }
  value(): string[] {
    return this.register.value();
  }
  local(edit: FieldEdit, replica: ReplicaId): MvRegisterOp<string> {
    this.changed();
    if (edit.kind !== 'register') throw new TypeError(`a register cannot ${edit.action}`);
    return this.register.set(replica, edit.value);
  }
  apply(op: unknown): void {
    this.changed();
    this.register.apply(op as MvRegisterOp<string>);
  }
  /** The writes whose values the register holds now. */
  writes(): Dot[] {
    return this.register.siblings().map((sibling) => sibling.dot);
  }
  encode(): Uint8Array {
    return this.register.encode();
  }
  mergedWith(incoming: DocumentField): DocumentField {
    const copy = this.register.clone();
    copy.merge((incoming as RegisterField).register);
    return new RegisterField(copy);
  }
}
