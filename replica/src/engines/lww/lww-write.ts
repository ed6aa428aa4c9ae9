/**
 * The unit of the last-writer-wins engine: one write of one field, stamped with the writer's wall
 * clock and carrying the writer's version vector at write time (a ledger write, ledger.ts). Declares
 * the field keys, the validation every write passes (local or from a peer), and the binary codec for batches of writes and for the engine's sync messages.
 */

import { Decoder, Encoder } from '@converge/crdt-core';
import { errorMessage } from '@converge/protocol';
import type { LedgerWrite } from '../../ledger.ts';
import { COUNTER_NAMES, type CounterName, type IntentOp } from '../../workspace.ts';
import { seal, unsealAny } from '../kit/envelope.ts';

/** A field is one register: a cart line, the whole text, one counter, or the note. */
export type LwwField = 'text' | 'note' | `counters/${CounterName}` | `cart/${string}`;

/** A cart line's quantity or null (the line was removed); the text or note; a counter's total. */
export type LwwValue = string | number | null;

/** A ledger write (ledger.ts) of this engine's fields. */
export interface LwwWrite extends LedgerWrite {
  /** The intent that made it. */
  readonly op: IntentOp;
  readonly field: LwwField;
  readonly value: LwwValue;
}

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
const MAX_PRODUCT_LENGTH = 100;
const OPS: readonly IntentOp[] = [
  'cart.add',
  'cart.remove',
  'cart.setQuantity',
  'text.insert',
  'text.delete',
  'counter.increment',
  'note.set',
  // Appended: an op is encoded as its index here.
  'cart.decrement',
];

export function cartField(product: string): LwwField {
  return `cart/${product}`;
}

export function counterField(name: CounterName): LwwField {
  return `counters/${name}`;
}

/** Throws an Error naming the first thing wrong with a write. */
export function validateWrite(write: LwwWrite): LwwWrite {
  const fail = (why: string): never => {
    throw new Error(`invalid lww write ${String(write.replica)}@${String(write.counter)}: ${why}`);
  };
  checkReplica(write.replica, fail);
  if (!isPositiveInt(write.counter)) fail('counter must be a positive safe integer');
  if (!Number.isSafeInteger(write.wallMs)) fail('wallMs must be a safe integer');
  if (write.skewMs !== undefined && !Number.isSafeInteger(write.skewMs))
    fail('skewMs must be a safe integer');
  if (!OPS.includes(write.op)) fail(`unknown op ${String(write.op)}`);
  if (fieldForOp(write.op, write.field) !== write.field)
    fail(`field ${write.field} does not suit ${write.op}`);
  const value = write.value;
  switch (write.op) {
    case 'cart.remove':
      if (value !== null) fail('a removal writes null');
      break;
    case 'cart.add':
    case 'cart.decrement':
    case 'cart.setQuantity':
    case 'counter.increment':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail('value must be a safe integer');
      break;
    default:
      if (typeof value !== 'string') fail('value must be a string');
  }
  checkVector(write.vector, fail);
  if (write.vector[write.replica] !== write.counter) fail("the vector's own entry must equal the counter");
  return write;
}

/** The field an op writes, if `field` is of the right family (else undefined). */
function fieldForOp(op: IntentOp, field: string): LwwField | undefined {
  switch (op) {
    case 'text.insert':
    case 'text.delete':
      return field === 'text' ? 'text' : undefined;
    case 'note.set':
      return field === 'note' ? 'note' : undefined;
    case 'counter.increment':
      return COUNTER_NAMES.some((name) => field === counterField(name)) ? (field as LwwField) : undefined;
    default: {
      const product = field.startsWith('cart/') ? field.slice(5) : '';
      return product.length > 0 && product.length <= MAX_PRODUCT_LENGTH ? (field as LwwField) : undefined;
    }
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
const MESSAGE_HELLO = 1;
const MESSAGE_WRITES = 2;
/** Smallest possible encoded write, used to bound counts before allocating. */
const MIN_WRITE_BYTES = 8;

/**
 * The two write layouts: the first had no clock skew; the current one follows the stamp with the skew
 * (0 = unknown, else 1 and the skew). Both decode; writers use the current one.
 */
type Layout = 'plain' | 'with-skew';

/** A batch of writes as stored (an lww engine update or snapshot). */
export function encodeWrites(writes: readonly LwwWrite[]): Uint8Array {
  const e = new Encoder();
  writeBatch(e, writes);
  return seal(EnvelopeKind.LwwWritesWithSkew, e.finish());
}

/** Decode and validate a stored batch; throws DecodeError or Error on anything malformed. */
export function decodeWrites(bytes: Uint8Array): LwwWrite[] {
  const { kind, body } = unsealAny(bytes, [EnvelopeKind.LwwWritesWithSkew, EnvelopeKind.LwwWrites]);
  const d = new Decoder(body);
  const writes = readBatch(d, kind === EnvelopeKind.LwwWrites ? 'plain' : 'with-skew');
  d.end();
  return writes;
}

export function encodeMessage(message: LwwMessage): Uint8Array {
  const e = new Encoder();
  if (message.type === 'hello') {
    e.uint(MESSAGE_HELLO);
    writeVector(e, message.vector);
  } else {
    e.uint(MESSAGE_WRITES);
    writeBatch(e, message.writes);
  }
  return seal(EnvelopeKind.LwwMessageWithSkew, e.finish());
}

export function decodeMessage(bytes: Uint8Array): LwwMessage {
  const { kind, body } = unsealAny(bytes, [EnvelopeKind.LwwMessageWithSkew, EnvelopeKind.LwwMessage]);
  const d = new Decoder(body);
  const message = readMessageBody(d, kind === EnvelopeKind.LwwMessage ? 'plain' : 'with-skew');
  d.end();
  return message;
}

function readMessageBody(d: Decoder, layout: Layout): LwwMessage {
  const type = d.uint();
  if (type === MESSAGE_HELLO) return { type: 'hello', vector: readVector(d) };
  if (type === MESSAGE_WRITES) return { type: 'writes', writes: readBatch(d, layout) };
  return d.fail(`unknown lww message type ${type}`);
}

/** Encoded size of one write inside a batch (for splitting large batches). */
export function encodedWriteSize(write: LwwWrite): number {
  const e = new Encoder();
  writeWrite(e, write);
  return e.length;
}

/** A batch in the layout without skews, as stored before writes carried them (for compatibility tests). */
export function encodeWritesWithoutSkew(writes: readonly LwwWrite[]): Uint8Array {
  const e = new Encoder();
  e.uint(writes.length);
  for (const w of writes) writeWrite(e, w, 'plain');
  return seal(EnvelopeKind.LwwWrites, e.finish());
}

function writeBatch(e: Encoder, writes: readonly LwwWrite[]): void {
  e.uint(writes.length);
  for (const w of writes) writeWrite(e, w);
}

function readBatch(d: Decoder, layout: Layout): LwwWrite[] {
  const count = d.count(MIN_WRITE_BYTES);
  const writes: LwwWrite[] = [];
  for (let i = 0; i < count; i++) writes.push(readWrite(d, layout));
  return writes;
}

function writeWrite(e: Encoder, w: LwwWrite, layout: Layout = 'with-skew'): void {
  e.string(w.replica);
  e.uint(w.counter);
  e.uint(OPS.indexOf(w.op));
  e.string(w.field);
  if (w.value === null) e.uint(VALUE_NULL);
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

function readWrite(d: Decoder, layout: Layout): LwwWrite {
  const replica = d.string();
  const counter = d.uint();
  const op = OPS[d.uint()];
  if (op === undefined) d.fail('unknown op index');
  const field = d.string() as LwwField;
  const tag = d.uint();
  let value: LwwValue;
  if (tag === VALUE_NULL) value = null;
  else if (tag === VALUE_INT) value = d.int();
  else if (tag === VALUE_STRING) value = d.string();
  else d.fail(`unknown value tag ${tag}`);
  const wallMs = d.int();
  let skewMs: number | undefined;
  if (layout === 'with-skew') {
    const known = d.uint();
    if (known === 1) skewMs = d.int();
    else if (known !== 0) d.fail(`unknown skew tag ${known}`);
  }
  const vector = { ...readVector(d), [replica]: counter };
  try {
    return validateWrite({
      replica,
      counter,
      op,
      field,
      value,
      wallMs,
      ...(skewMs !== undefined ? { skewMs } : {}),
      vector,
    });
  } catch (error) {
    return d.fail(errorMessage(error));
  }
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
