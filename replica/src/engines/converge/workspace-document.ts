/**
 * The converge engine's document: the workspace schema's fields as crdt-core CRDTs, one per field by
 * kind (fields.ts: a cart is an OR-Map of PN-counters, a text an Rga, a counter a G-Counter, a pn-counter
 * a PN-Counter, a register a multi-value register, so concurrent writes are kept side by side).
 *
 * Every local change becomes one operation in a causal operation log (crdt-core's OperationLog):
 * numbered per replica, stamped with the author's version vector, delivered in causal order on every
 * replica (so a text insert never arrives before the characters it is anchored to). Peers exchange
 * version vectors and ship each other the operations they lack; a peer too far behind the log (whose
 * missing operations arrived here folded into a snapshot) gets the whole state instead, which merges
 * because every field is a state-based CRDT too.
 *
 * Bytes (the codecs check structure; the engine seals them in a checksummed envelope):
 * - operations: crdt-core header (WorkspaceOps), then per operation its author, counter, dependencies,
 *   the field's tag and the field's own operation bytes;
 * - state (tagged by field): a format byte, the version vector, then per field its tag, its kind and its
 *   own state bytes. A field the bytes do not have starts empty (a field added to the schema later); a
 *   tag the schema does not have, or a kind other than the schema's, is refused.
 * - the state as written before the schema (positional: cart, likes, stock, note, text, under the
 *   crdt-core header WorkspaceSnapshot) still merges, into the fields with those tags.
 */
import {
  DecodeError,
  Decoder,
  type Dot,
  decodeWith,
  Encoder,
  type IdPlace,
  type IdRange,
  type LoggedOp,
  OperationLog,
  type ReplicaId,
  type RgaId,
  readReplicaId,
  TypeTag,
  VersionVector,
} from '@converge/crdt-core';
import type { FieldEdit, NamedField, WorkspaceSchema } from '../../schema.ts';
import type { TextDelta } from '../../text-delta.ts';
import {
  type CartField,
  type DocumentField,
  decodeField,
  emptyField,
  KIND_CODES,
  kindOfCode,
  OP_CODECS,
  type RegisterField,
  type TextField,
  type TextListener,
} from './fields.ts';

/** One change to one field of the workspace. */
export interface WorkspaceChange {
  readonly field: string;
  readonly op: unknown;
}

export type WorkspaceOp = LoggedOp<WorkspaceChange>;

const STATE_FORMAT = 1;
/** The tags of the positional state written before the schema: cart, likes, stock, note, text. */
const LEGACY_STATE_TAGS = [1, 3, 4, 5, 2] as const;

export class WorkspaceDocument {
  private readonly log = new OperationLog<WorkspaceChange>();
  private readonly fields = new Map<string, DocumentField>();

  /** `onText` is told every change of a text field's visible text (local, remote, merged), as it happens. */
  constructor(
    readonly schema: WorkspaceSchema,
    readonly replica: ReplicaId,
    onText?: (field: string, delta: TextDelta) => void,
  ) {
    for (const field of schema.fields) {
      const listener: TextListener | undefined = onText && ((delta) => onText(field.name, delta));
      this.fields.set(field.name, emptyField(field, replica, listener));
    }
  }

  // ---------------------------------------------------------------- reading

  /** Each field's value, as the schema's view (texts empty with `withText: false`: no text is read). */
  value({ withText = true }: { readonly withText?: boolean } = {}): unknown {
    return this.schema.view((field) =>
      field.kind === 'text' && !withText ? '' : this.field(field.name).value(),
    );
  }

  /** A text field's content. */
  textContent(field: string): string {
    return String(this.field(field).value());
  }

  /** Whether a cart field shows a line for `product`. */
  hasLine(field: string, product: string): boolean {
    return product in (this.field(field).value() as Record<string, number>);
  }

  /** Where some characters of a text field are now (visible, or their tombstones). */
  textPlaces(field: string, ranges: readonly IdRange[]): IdPlace[] {
    return (this.fieldOfKind(field, 'text') as TextField).places(ranges);
  }

  /** A cart line's quantity, undefined when there is no line for `product`. */
  cartLine(field: string, product: string): number | undefined {
    return (this.fieldOfKind(field, 'cart') as CartField).line(product);
  }

  /** A register field's values now (several after concurrent writes). */
  registerValue(field: string): string[] {
    return (this.fieldOfKind(field, 'register') as RegisterField).value();
  }

  /** The writes whose values a register field holds now. */
  registerWrites(field: string): Dot[] {
    return (this.fieldOfKind(field, 'register') as RegisterField).writes();
  }

  /** Operations delivered, per replica. */
  version(): VersionVector {
    return this.log.version();
  }

  /** Operations that arrived before those they depend on and wait. */
  get waitingCount(): number {
    return this.log.waitingCount;
  }

  // ---------------------------------------------------------------- local changes

  /** Carry out a (validated) edit; returns its operation, or null when it changes nothing. */
  edit(edit: FieldEdit): WorkspaceOp | null {
    const op = this.field(edit.field).local(edit, this.replica);
    return op === null ? null : this.log.next(this.replica, { field: edit.field, op });
  }

  /** Type `text` into a text field right before character `id` (visible or deleted); null when empty. */
  insertTextBefore(field: string, id: RgaId, text: string): WorkspaceOp | null {
    const op = (this.fieldOfKind(field, 'text') as TextField).insertBefore(id, text);
    return op === null ? null : this.log.next(this.replica, { field, op });
  }

  // ---------------------------------------------------------------- sync

  /** Accept operations from peers (any order, duplicates allowed); returns those delivered now. */
  receive(ops: Iterable<WorkspaceOp>): WorkspaceOp[] {
    return this.log.receive(ops, (op) => this.field(op.body.field).apply(op.body.op));
  }

  /** What a peer at `peer` lacks, in causal order; undefined when it needs the whole state (`encodeState`). */
  missing(peer: VersionVector): WorkspaceOp[] | undefined {
    return this.log.missing(peer);
  }

  // ---------------------------------------------------------------- whole state

  /**
   * The whole document, tagged by field: state transfer for peers behind the log, and (`forStore`) the
   * store's snapshot, where a field may write what is cheaper to save again and again (`DocumentField.save`:
   * a text saves the operations since its last save after that save's bytes). Both decode alike.
   */
  encodeState({ forStore = false }: { readonly forStore?: boolean } = {}): Uint8Array {
    const { fields } = this.schema;
    const states: Uint8Array[] = [];
    // The fields first, so the encoder starts with room for all of them: a text's state is most of the
    // bytes, and growing to it from a small buffer copied it over and over (once per doubling).
    let size = 256;
    for (const field of fields) {
      const state = this.field(field.name);
      const bytes = forStore && state.save !== undefined ? state.save() : state.encode();
      states.push(bytes);
      size += bytes.length + 16;
    }
    const e = new Encoder(size).byte(STATE_FORMAT);
    this.log.version().write(e);
    e.uint(fields.length);
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i] as NamedField;
      e.uint(field.tag)
        .byte(KIND_CODES[field.kind])
        .bytes(states[i] as Uint8Array);
    }
    return e.finish();
  }

  /**
   * Merge a whole state (ours from the store, or a peer's), tagged by field (`encodeState`) or in the
   * positional layout written before the schema. Returns the operations that became deliverable because
   * of it. Throws DecodeError for corrupt bytes, changing nothing.
   */
  mergeState(bytes: Uint8Array, layout: 'tagged' | 'positional' = 'tagged'): WorkspaceOp[] {
    const state = layout === 'tagged' ? this.decodeTagged(bytes) : this.decodePositional(bytes);
    // Work on copies: a merge that fails half-way (e.g. an overflowing counter) must change nothing. Text
    // merges in place, last: it cannot fail once decoded (causal delivery holds its anchors).
    const merged = new Map<string, DocumentField>();
    for (const [name, incoming] of state.fields) {
      const current = this.field(name);
      if (!current.mergesInPlace) merged.set(name, current.mergedWith(incoming));
    }
    for (const [name, incoming] of state.fields) {
      const current = this.field(name);
      if (current.mergesInPlace) merged.set(name, current.mergedWith(incoming));
    }
    for (const [name, field] of merged) this.fields.set(name, field);
    return this.log.advance(state.version, (op) => this.field(op.body.field).apply(op.body.op));
  }

  /** A document restored from `encodeState` bytes. */
  static fromState(schema: WorkspaceSchema, bytes: Uint8Array, replica: ReplicaId): WorkspaceDocument {
    const doc = new WorkspaceDocument(schema, replica);
    doc.mergeState(bytes);
    return doc;
  }

  private decodeTagged(bytes: Uint8Array): DecodedState {
    const d = new Decoder(bytes);
    const format = d.byte();
    if (format !== STATE_FORMAT) d.fail(`unknown workspace state format ${format}`);
    const version = VersionVector.read(d);
    const count = d.count(3);
    const fields = new Map<string, DocumentField>();
    for (let i = 0; i < count; i++) {
      const tag = d.uint();
      const kindCode = d.byte();
      const body = d.bytes();
      const field = this.schema.fieldByTag(tag);
      if (field === undefined) d.fail(`state holds field tag ${tag}, which this workspace does not have`);
      const declared = field as NamedField;
      if (kindOfCode(kindCode) !== declared.kind)
        d.fail(`state holds field ${declared.name} as kind code ${kindCode}, not as a ${declared.kind}`);
      if (fields.has(declared.name)) d.fail(`state holds field ${declared.name} twice`);
      fields.set(declared.name, decodeField(declared, body, this.replica));
    }
    d.end();
    return { version, fields };
  }

  private decodePositional(bytes: Uint8Array): DecodedState {
    return decodeWith(bytes, TypeTag.WorkspaceSnapshot, (d) => {
      const version = VersionVector.read(d);
      const fields = new Map<string, DocumentField>();
      for (const tag of LEGACY_STATE_TAGS) {
        const body = d.bytes();
        const field = this.schema.fieldByTag(tag);
        if (field === undefined)
          d.fail(`the old state layout holds field tag ${tag}, which this workspace lacks`);
        fields.set((field as NamedField).name, decodeField(field as NamedField, body, this.replica));
      }
      return { version, fields };
    });
  }

  private fieldOfKind(name: string, kind: NamedField['kind']): DocumentField {
    if (this.schema.field(name)?.kind !== kind)
      throw new RangeError(`the workspace has no ${kind} field ${name}`);
    return this.field(name);
  }

  private field(name: string): DocumentField {
    const field = this.fields.get(name);
    if (field === undefined) throw new RangeError(`the workspace has no field ${name}`);
    return field;
  }

  // ---------------------------------------------------------------- operation codec

  static encodeOps(schema: WorkspaceSchema, ops: readonly WorkspaceOp[]): Uint8Array {
    const e = new Encoder(64).header(TypeTag.WorkspaceOps);
    e.uint(ops.length);
    for (const op of ops) {
      const field = schema.field(op.body.field);
      if (field === undefined) throw new RangeError(`the workspace has no field ${op.body.field}`);
      e.string(op.replica);
      e.uint(op.counter);
      op.deps.write(e);
      e.uint(field.tag);
      e.bytes(OP_CODECS[field.kind].encodeOp(op.body.op));
    }
    return e.finish();
  }

  /** Throws DecodeError for anything that is not a well-formed list of operations of this workspace. */
  static decodeOps(schema: WorkspaceSchema, bytes: Uint8Array): WorkspaceOp[] {
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
        ops.push({ replica, counter, deps, body: readChange(schema, d) });
      }
      return ops;
    });
  }
}

interface DecodedState {
  readonly version: VersionVector;
  readonly fields: ReadonlyMap<string, DocumentField>;
}

function readChange(schema: WorkspaceSchema, d: Decoder): WorkspaceChange {
  const tag = d.uint();
  const body = d.bytes();
  const field = schema.fieldByTag(tag);
  if (field === undefined) return d.fail(`unknown workspace field ${tag}`);
  try {
    return { field: field.name, op: OP_CODECS[field.kind].decodeOp(body) };
  } catch (error) {
    if (error instanceof DecodeError) return d.fail(`field ${field.name}: ${error.message}`);
    throw error;
  }
}
