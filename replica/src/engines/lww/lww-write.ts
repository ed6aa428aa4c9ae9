/**
 * The unit of the last-writer-wins engine: one write of one field, stamped with the writer's wall
 * clock and carrying the writer's version vector at write time (a ledger write, ledger.ts). Declares
 * the field keys (paths of the workspace schema), the validation every write passes (local or from a
 * peer), and the binary codec for batches of writes and for the engine's sync messages.
 */

import { Decoder, Encoder } from '@converge/crdt-core';
import { errorMessage } from '@converge/protocol';
import type { LedgerWrite } from '../../ledger.ts';
import {
  COUNTERS,
  EDIT_ACTIONS,
  type EditAction,
  type FieldEdit,
  KIND_ACTIONS,
  type WorkspaceSchema,
} from '../../schema.ts';
import { seal, unsealAny } from '../kit/envelope.ts';
import type { TextPatch, WriteRef } from './lww-texts.ts';

/**
 * A field is one register, named by its path in the workspace schema: a cart line (`cart/apple`), a
 * whole text (`text`), one counter (`counters/likes`), or a register (`note`).
 */
export type LwwField = string;

/** A cart line's quantity or null (the line was removed); a text or register; a counter's total. */
export type LwwValue = string | number | null;

/** A ledger write (ledger.ts) of this engine's fields. */
export interface LwwWrite extends LedgerWrite {
  /** The intent that made it. */
  readonly op: string;
  readonly field: LwwField;
  /**
   * The field's value after the write: for a text write the whole text, built when read (from `patch`,
   * lww-texts.ts), so hot paths read `patch` and never this.
   */
  readonly value: LwwValue;
  /** A text write as made, stored and sent: a change of the text its writer saw (absent in older writes). */
  readonly patch?: TextPatch;
}

/** Everything of a text write but its value, which its patch makes. */
export type LwwTextWriteFields = Omit<LwwWrite, 'value' | 'patch'>;

export type LwwMessage =
  /** Our version vector: the peer answers with every write we lack. */
  | { readonly type: 'hello'; readonly vector: Readonly<Record<string, number>> }
  | { readonly type: 'writes'; readonly writes: readonly LwwWrite[] };

/** Envelope kinds (kit/envelope.ts) of this engine's bytes. */
export const EnvelopeKind = {
  LwwWrites: 3,
  LwwMessage: 4,
  /** Writes that carry their writer's clock skew (kinds 3 and 4 still decode). */
  LwwWritesWithSkew: 6,
  LwwMessageWithSkew: 7,
} as const;

const MAX_REPLICA_LENGTH = 256;

/** The path an edit writes. */
export function fieldOf(edit: FieldEdit): LwwField {
  switch (edit.kind) {
    case 'cart':
      return `${edit.field}/${edit.product}`;
    case 'counter':
    case 'pn-counter':
      return `${COUNTERS}/${edit.field}`;
    default:
      return edit.field;
  }
}

export function checkVector(vector: Readonly<Record<string, number>>, fail: (why: string) => never): void {
  if (typeof vector !== 'object' || vector === null) fail('vector must be an object');
  for (const [replica, counter] of Object.entries(vector)) {
    checkReplica(replica, fail);
    if (!isPositiveInt(counter)) fail(`vector entry ${replica} must be a positive safe integer`);
  }
}

function checkReplica(replica: unknown, fail: (why: string) => never): void {
  if (typeof replica !== 'string' || replica.length === 0 || replica.length > MAX_REPLICA_LENGTH) {
    fail(`replica id must be a string of 1..${MAX_REPLICA_LENGTH} characters`);
  }
}

function isPositiveInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 1;
}

// ---- codec -------------------------------------------------------------------------------------

const VALUE_NULL = 0;
const VALUE_INT = 1;
const VALUE_STRING = 2;
/** A text patch: base (0 none, 1 the writer's own earlier write by distance, 2 another's), pos, del, text. */
const VALUE_TEXT_PATCH = 3;
const BASE_NONE = 0;
const BASE_OWN = 1;
const BASE_OTHER = 2;
const MESSAGE_HELLO = 1;
const MESSAGE_WRITES = 2;
/** Smallest possible encoded write, used to bound counts before allocating. */
const MIN_WRITE_BYTES = 8;

/**
 * The two write layouts: the first had no clock skew; the current one follows the stamp with the skew
 * (0 = unknown, else 1 and the skew). Both decode; writers use the current one.
 */
type Layout = 'plain' | 'with-skew';

/**
 * The writes and messages of one workspace schema: what they may hold, and their bytes. A write's op is
 * stored as its action's index in EDIT_ACTIONS (the field says which field's op it is), which is the op
 * index of the bytes written before the schema.
 */
export class LwwCodec {
  /** `textOf` builds a text write's whole text (the engine's LwwTexts); writes this codec makes read it. */
  constructor(
    readonly schema: WorkspaceSchema,
    private readonly textOf: (write: WriteRef) => string = () => {
      throw new Error('the text of a patch write is read through its engine');
    },
  ) {}

  /** A text write carrying `patch`, whose `value` (the whole text) is built only when read. */
  textWrite(fields: LwwTextWriteFields, patch: TextPatch): LwwWrite {
    const textOf = this.textOf;
    const ref: WriteRef = { replica: fields.replica, counter: fields.counter };
    return Object.defineProperty({ ...fields, patch }, 'value', {
      get: () => textOf(ref),
      enumerable: true,
    }) as unknown as LwwWrite;
  }

  /** The action of a write's op on its field; throws an Error when they do not go together. */
  actionOf(write: Pick<LwwWrite, 'op' | 'field'>): EditAction {
    const target = this.schema.fieldOfPath(write.field);
    if (target === undefined) throw new Error(`unknown field ${write.field}`);
    const action = KIND_ACTIONS[target.field.kind].find(
      (a) => this.schema.opOf(target.field.name, a) === write.op,
    );
    if (action === undefined) throw new Error(`field ${write.field} does not suit ${String(write.op)}`);
    return action;
  }

  /** Throws an Error naming the first thing wrong with a write. */
  validate(write: LwwWrite): LwwWrite {
    const fail = (why: string): never => {
      throw new Error(`invalid lww write ${String(write.replica)}@${String(write.counter)}: ${why}`);
    };
    checkReplica(write.replica, fail);
    if (!isPositiveInt(write.counter)) fail('counter must be a positive safe integer');
    if (!Number.isSafeInteger(write.wallMs)) fail('wallMs must be a safe integer');
    if (write.skewMs !== undefined && !Number.isSafeInteger(write.skewMs))
      fail('skewMs must be a safe integer');
    let action: EditAction | undefined;
    try {
      action = this.actionOf(write);
    } catch (error) {
      fail(errorMessage(error));
    }
    if (write.patch !== undefined) {
      if (this.schema.fieldOfPath(write.field)?.field.kind !== 'text')
        fail('only a text write carries a patch');
      checkPatch(write, fail);
      checkVector(write.vector, fail);
      if (write.vector[write.replica] !== write.counter)
        fail("the vector's own entry must equal the counter");
      return write;
    }
    const value = write.value;
    switch (action) {
      case 'remove':
        if (value !== null) fail('a removal writes null');
        break;
      case 'add':
      case 'decrement':
      case 'setQuantity':
      case 'increment':
        if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail('value must be a safe integer');
        break;
      default:
        if (typeof value !== 'string') fail('value must be a string');
    }
    checkVector(write.vector, fail);
    if (write.vector[write.replica] !== write.counter) fail("the vector's own entry must equal the counter");
    return write;
  }

  /** A batch of writes as stored (an lww engine update or snapshot). */
  encodeWrites(writes: readonly LwwWrite[]): Uint8Array {
    const e = new Encoder();
    this.writeBatch(e, writes);
    return seal(EnvelopeKind.LwwWritesWithSkew, e.finish());
  }

  /** Decode and validate a stored batch; throws DecodeError or Error on anything malformed. */
  decodeWrites(bytes: Uint8Array): LwwWrite[] {
    const { kind, body } = unsealAny(bytes, [EnvelopeKind.LwwWritesWithSkew, EnvelopeKind.LwwWrites]);
    const d = new Decoder(body);
    const writes = this.readBatch(d, kind === EnvelopeKind.LwwWrites ? 'plain' : 'with-skew');
    d.end();
    return writes;
  }

  encodeMessage(message: LwwMessage): Uint8Array {
    const e = new Encoder();
    if (message.type === 'hello') {
      e.uint(MESSAGE_HELLO);
      writeVector(e, message.vector);
    } else {
      e.uint(MESSAGE_WRITES);
      this.writeBatch(e, message.writes);
    }
    return seal(EnvelopeKind.LwwMessageWithSkew, e.finish());
  }

  decodeMessage(bytes: Uint8Array): LwwMessage {
    const { kind, body } = unsealAny(bytes, [EnvelopeKind.LwwMessageWithSkew, EnvelopeKind.LwwMessage]);
    const d = new Decoder(body);
    const layout: Layout = kind === EnvelopeKind.LwwMessage ? 'plain' : 'with-skew';
    const type = d.uint();
    let message: LwwMessage;
    if (type === MESSAGE_HELLO) message = { type: 'hello', vector: readVector(d) };
    else if (type === MESSAGE_WRITES) message = { type: 'writes', writes: this.readBatch(d, layout) };
    else return d.fail(`unknown lww message type ${type}`);
    d.end();
    return message;
  }

  /** Encoded size of one write inside a batch (for splitting large batches). */
  encodedWriteSize(write: LwwWrite): number {
    const e = new Encoder();
    this.writeWrite(e, write);
    return e.length;
  }

  /** A batch in the layout without skews, as stored before writes carried them (for compatibility tests). */
  encodeWritesWithoutSkew(writes: readonly LwwWrite[]): Uint8Array {
    const e = new Encoder();
    e.uint(writes.length);
    for (const w of writes) this.writeWrite(e, w, 'plain');
    return seal(EnvelopeKind.LwwWrites, e.finish());
  }

  private writeBatch(e: Encoder, writes: readonly LwwWrite[]): void {
    e.uint(writes.length);
    for (const w of writes) this.writeWrite(e, w);
  }

  private readBatch(d: Decoder, layout: Layout): LwwWrite[] {
    const count = d.count(MIN_WRITE_BYTES);
    const writes: LwwWrite[] = [];
    for (let i = 0; i < count; i++) writes.push(this.readWrite(d, layout));
    return writes;
  }

  private writeWrite(e: Encoder, w: LwwWrite, layout: Layout = 'with-skew'): void {
    e.string(w.replica);
    e.uint(w.counter);
    e.uint(EDIT_ACTIONS.indexOf(this.actionOf(w)));
    e.string(w.field);
    if (w.patch !== undefined) writePatch(e, w, w.patch);
    else if (w.value === null) e.uint(VALUE_NULL);
    else if (typeof w.value === 'number') e.uint(VALUE_INT).int(w.value);
    else e.uint(VALUE_STRING).string(w.value);
    e.int(w.wallMs);
    if (layout === 'with-skew') {
      if (w.skewMs === undefined) e.uint(0);
      else e.uint(1).int(w.skewMs);
    }
    // The writer's own entry equals the counter; leave it out.
    writeVector(e, w.vector, w.replica);
  }

  private readWrite(d: Decoder, layout: Layout): LwwWrite {
    const replica = d.string();
    const counter = d.uint();
    const action = EDIT_ACTIONS[d.uint()];
    if (action === undefined) d.fail('unknown op index');
    const field = d.string();
    const name = this.schema.fieldOfPath(field)?.field.name;
    const op = name === undefined ? undefined : this.schema.opOf(name, action as EditAction);
    if (op === undefined) d.fail(`field ${field} does not suit a ${String(action)}`);
    const tag = d.uint();
    let value: LwwValue = null;
    let patch: TextPatch | undefined;
    if (tag === VALUE_NULL) value = null;
    else if (tag === VALUE_INT) value = d.int();
    else if (tag === VALUE_STRING) value = d.string();
    else if (tag === VALUE_TEXT_PATCH) patch = readPatch(d, replica, counter);
    else d.fail(`unknown value tag ${tag}`);
    const wallMs = d.int();
    let skewMs: number | undefined;
    if (layout === 'with-skew') {
      const known = d.uint();
      if (known === 1) skewMs = d.int();
      else if (known !== 0) d.fail(`unknown skew tag ${known}`);
    }
    const vector = { ...readVector(d), [replica]: counter };
    const fields = {
      replica,
      counter,
      op: op as string,
      field,
      wallMs,
      ...(skewMs !== undefined ? { skewMs } : {}),
      vector,
    };
    try {
      return this.validate(patch === undefined ? { ...fields, value } : this.textWrite(fields, patch));
    } catch (error) {
      return d.fail(errorMessage(error));
    }
  }
}

function writePatch(e: Encoder, write: LwwWrite, patch: TextPatch): void {
  e.uint(VALUE_TEXT_PATCH);
  const { base } = patch;
  if (base === null) e.uint(BASE_NONE);
  // Typing: the base is the writer's own previous write, one or two bytes away.
  else if (base.replica === write.replica) e.uint(BASE_OWN).uint(write.counter - base.counter);
  else e.uint(BASE_OTHER).string(base.replica).uint(base.counter);
  e.uint(patch.pos).uint(patch.del).string(patch.text);
}

function readPatch(d: Decoder, replica: string, counter: number): TextPatch {
  const kind = d.uint();
  let base: WriteRef | null = null;
  if (kind === BASE_OWN) {
    const back = d.uint();
    if (back < 1 || back >= counter) d.fail('a patch base must be an earlier write of its writer');
    base = { replica, counter: counter - back };
  } else if (kind === BASE_OTHER) base = { replica: d.string(), counter: d.uint() };
  else if (kind !== BASE_NONE) d.fail(`unknown patch base kind ${kind}`);
  const pos = d.uint();
  const del = d.uint();
  return { base, pos, del, text: d.string() };
}

/** A patch names a base its writer had seen (so causal delivery brings it first) and plain numbers. */
function checkPatch(write: LwwWrite, fail: (why: string) => never): void {
  const patch = write.patch as TextPatch;
  if (typeof patch !== 'object' || patch === null) fail('patch must be an object');
  const { base, pos, del, text } = patch;
  if (!(Number.isSafeInteger(pos) && pos >= 0 && Number.isSafeInteger(del) && del >= 0))
    fail('patch position and length must be non-negative safe integers');
  if (typeof text !== 'string') fail('patch text must be a string');
  if (base === null) return;
  if (typeof base !== 'object') fail('patch base must be a write or null');
  checkReplica(base.replica, fail);
  if (!isPositiveInt(base.counter)) fail('patch base counter must be a positive safe integer');
  const seen = base.replica === write.replica ? write.counter - 1 : (write.vector[base.replica] ?? 0);
  if (base.counter > seen) fail('patch base must be a write its writer had seen');
}

function writeVector(e: Encoder, vector: Readonly<Record<string, number>>, omit?: string): void {
  const entries = Object.entries(vector).filter(([replica]) => replica !== omit);
  e.uint(entries.length);
  for (const [replica, counter] of entries) e.string(replica).uint(counter);
}

function readVector(d: Decoder): Record<string, number> {
  const count = d.count(2);
  // No prototype: a replica id such as "__proto__" must be an ordinary key.
  const vector: Record<string, number> = Object.create(null);
  for (let i = 0; i < count; i++) {
    const replica = d.string();
    if (Object.hasOwn(vector, replica)) d.fail(`duplicate vector entry ${replica}`);
    vector[replica] = d.uint();
  }
  checkVector(vector, (why) => d.fail(why));
  return vector;
}
