import { type Decoder, decodeWith, Encoder, TypeTag } from '../encoding.ts';
import { type ReplicaId, replicaId } from '../replica-id.ts';
import { ReplicaTable } from './replica-table.ts';
import type { IdRange, InsertOp, RgaId, RgaOp, TombstoneOp } from './types.ts';
import { readText, writeInto, writeText, wtf8Length } from './wtf8.ts';

/**
 * Binary form of a batch of RGA operations (an "update"):
 *
 *   header(RgaUpdate)
 *   replicas: count, then each id as WTF-8 text
 *   ops: count, then per op a kind (0 insert, 1 tombstone, 2 delete) and
 *     insert/tombstone: replica, counter, left ref, right ref, then the text / the length
 *     delete: range count, then per range replica, counter, length
 *   ref: 0 = none; 1 = same replica as the op, then zigzag(op counter - counter); 2 + k = replica k, then counter
 *
 * Origins usually point at the op's own replica just below its counter, so they take two bytes.
 */

const INSERT = 0;
const TOMBSTONE = 1;
const DELETE = 2;

const REF_NONE = 0;
const REF_SAME_REPLICA = 1;
const REF_TABLE = 2;

/** Encode a batch of operations (one op per call is the usual case for live edits). */
export function encodeRgaOps(ops: readonly RgaOp[]): Uint8Array {
  if (ops.length === 1) {
    const op = ops[0] as RgaOp;
    if (op.kind !== 'delete') return encodeSingleInsert(op);
    if (op.ranges.length === 1) return encodeSingleRangeDelete(op.ranges[0] as IdRange);
  }
  return encodeGeneral(ops);
}

/** The Encoder path for any batch; the reference the fast paths must match byte for byte. */
export function encodeGeneral(ops: readonly RgaOp[]): Uint8Array {
  const table = new ReplicaTable();
  for (const op of ops) {
    if (op.kind === 'delete') {
      for (const range of op.ranges) table.indexOf(range.replica);
    } else {
      table.indexOf(op.id.replica);
      if (op.left !== null) table.indexOf(op.left.replica);
      if (op.right !== null) table.indexOf(op.right.replica);
    }
  }
  const e = new Encoder(ops.length === 1 ? 48 : 256);
  e.header(TypeTag.RgaUpdate);
  e.uint(table.ids.length);
  for (const id of table.ids) writeText(e, id);
  e.uint(ops.length);
  for (const op of ops) {
    if (op.kind === 'delete') {
      e.uint(DELETE);
      e.uint(op.ranges.length);
      for (const range of op.ranges) {
        e.uint(table.indexOf(range.replica));
        e.uint(range.counter);
        e.uint(range.length);
      }
      continue;
    }
    e.uint(op.kind === 'insert' ? INSERT : TOMBSTONE);
    e.uint(table.indexOf(op.id.replica));
    e.uint(op.id.counter);
    writeRef(
      e,
      table.indexOf(op.id.replica),
      op.id,
      op.left,
      op.left === null ? 0 : table.indexOf(op.left.replica),
    );
    writeRef(
      e,
      table.indexOf(op.id.replica),
      op.id,
      op.right,
      op.right === null ? 0 : table.indexOf(op.right.replica),
    );
    if (op.kind === 'insert') writeText(e, op.text);
    else e.uint(op.length);
  }
  return e.finish();
}

/**
 * The same bytes as the general path for one insert, without building a table: this runs once
 * per keystroke, so it avoids every allocation but the encoder's.
 */
function encodeSingleInsert(op: InsertOp | TombstoneOp): Uint8Array {
  const own = op.id.replica;
  const left = op.left;
  const right = op.right;
  const kind = op.kind === 'insert' ? INSERT : TOMBSTONE;
  if ((left === null || left.replica === own) && (right === null || right.replica === own)) {
    return encodeOwnInsert(op, kind, singleReplicaPrefix(own));
  }
  // Table order is order of first use: the op's replica, then the left's, then the right's.
  const leftIndex = left === null || left.replica === own ? 0 : 1;
  let rightIndex = 0;
  let count = leftIndex === 1 ? 2 : 1;
  let rightIsNew = false;
  if (right !== null && right.replica !== own) {
    if (leftIndex === 1 && right.replica === (left as RgaId).replica) rightIndex = 1;
    else {
      rightIndex = count++;
      rightIsNew = true;
    }
  }
  const e = new Encoder(64);
  e.header(TypeTag.RgaUpdate);
  e.uint(count);
  writeText(e, own);
  if (leftIndex === 1) writeText(e, (left as RgaId).replica);
  if (rightIsNew) writeText(e, (right as RgaId).replica);
  e.uint(1);
  e.uint(kind);
  e.uint(0);
  e.uint(op.id.counter);
  writeRef(e, 0, op.id, left, leftIndex);
  writeRef(e, 0, op.id, right, rightIndex);
  if (op.kind === 'insert') writeText(e, op.text);
  else e.uint(op.length);
  return e.finish();
}

/**
 * Exactly what the Encoder path writes for an insert whose origins are all of its own replica,
 * written straight into one buffer of the exact size. This runs once per keystroke; the Encoder
 * path costs two buffers and a copy per call, which dominated replaying long editing traces.
 * Tests check both paths give identical bytes.
 */
function encodeOwnInsert(op: InsertOp | TombstoneOp, kind: number, prefix: Uint8Array): Uint8Array {
  const counter = op.id.counter;
  const text = op.kind === 'insert' ? op.text : '';
  // Room for the prefix, kind, replica, three varints of up to 8 bytes, and the text (≤ 3 bytes per unit).
  let out = scratch;
  const bound = prefix.length + 40 + 3 * text.length;
  if (bound > out.length) {
    out = new Uint8Array(bound * 2);
    if (bound <= 4096) scratch = out;
  }
  let at = 0;
  for (; at < prefix.length; at++) out[at] = prefix[at] as number;
  out[at++] = kind;
  out[at++] = 0;
  at = putVarint(out, at, counter);
  const left = op.left;
  if (left === null) out[at++] = REF_NONE;
  else {
    out[at++] = REF_SAME_REPLICA;
    at = putVarint(out, at, zigzag(counter - left.counter));
  }
  const right = op.right;
  if (right === null) out[at++] = REF_NONE;
  else {
    out[at++] = REF_SAME_REPLICA;
    at = putVarint(out, at, zigzag(counter - right.counter));
  }
  if (op.kind === 'insert') {
    const n = text.length;
    if (n < 0x80) {
      // Optimistically ASCII: one length byte, one byte per unit.
      const lengthAt = at++;
      let ascii = true;
      for (let i = 0; i < n; i++) {
        const c = text.charCodeAt(i);
        if (c >= 0x80) {
          ascii = false;
          break;
        }
        out[at++] = c;
      }
      if (ascii) out[lengthAt] = n;
      else at = writeTextAt(out, lengthAt, text);
    } else at = writeTextAt(out, at, text);
  } else at = putVarint(out, at, op.length);
  return out.slice(0, at);
}

/** Reused output buffer of the single-op encoders (one op is encoded at a time; the result is a copy). */
let scratch = new Uint8Array(256);

/** Length-prefixed WTF-8 text at `at`; returns the end. */
function writeTextAt(out: Uint8Array, at: number, text: string): number {
  at = putVarint(out, at, wtf8Length(text));
  return writeInto(text, out, at);
}

/** Exactly what the Encoder path writes for a delete of one id range (the common backspace). */
function encodeSingleRangeDelete(range: IdRange): Uint8Array {
  const prefix = singleReplicaPrefix(range.replica);
  const out = new Uint8Array(prefix.length + 3 + varintSize(range.counter) + varintSize(range.length));
  out.set(prefix);
  let at = prefix.length;
  out[at++] = DELETE;
  out[at++] = 1;
  out[at++] = 0;
  at = putVarint(out, at, range.counter);
  putVarint(out, at, range.length);
  return out;
}

function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

/** LEB128, as Encoder.uint writes it. */
function putVarint(out: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  out[at++] = value;
  return at;
}

/** The replica of the last single-replica update and its fixed prefix bytes. */
let prefixReplica: ReplicaId | null = null;
let prefixBytes: Uint8Array = new Uint8Array(0);

/** header, a one-entry replica table holding `replica`, and an op count of 1. */
function singleReplicaPrefix(replica: ReplicaId): Uint8Array {
  if (replica !== prefixReplica) {
    const e = new Encoder();
    e.header(TypeTag.RgaUpdate);
    e.uint(1);
    writeText(e, replica);
    e.uint(1);
    prefixBytes = e.finish();
    prefixReplica = replica;
  }
  return prefixBytes;
}

function writeRef(e: Encoder, ownIndex: number, id: RgaId, ref: RgaId | null, refIndex: number): void {
  if (ref === null) e.uint(REF_NONE);
  else if (refIndex === ownIndex) {
    e.uint(REF_SAME_REPLICA);
    e.int(id.counter - ref.counter);
  } else {
    e.uint(REF_TABLE + refIndex);
    e.uint(ref.counter);
  }
}

/** Decode what `encodeRgaOps` wrote; any malformed input is a DecodeError. */
export function decodeRgaOps(bytes: Uint8Array): RgaOp[] {
  return decodeWith(bytes, TypeTag.RgaUpdate, (d) => {
    const replicas = readReplicaTable(d);
    const count = d.count(2);
    const ops: RgaOp[] = [];
    for (let i = 0; i < count; i++) ops.push(readOp(d, replicas));
    return ops;
  });
}

/** Read a replica table: distinct, valid replica ids. */
export function readReplicaTable(d: Decoder): ReplicaId[] {
  const count = d.count(2);
  const ids: ReplicaId[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const value = readText(d);
    if (seen.has(value)) d.fail(`replica id ${JSON.stringify(value)} listed twice`);
    seen.add(value);
    ids.push(replicaId(value));
  }
  return ids;
}

function readOp(d: Decoder, replicas: readonly ReplicaId[]): RgaOp {
  const kind = d.uint();
  if (kind === DELETE) {
    const count = d.count(3);
    const ranges: IdRange[] = [];
    for (let i = 0; i < count; i++) {
      const replica = readReplica(d, replicas);
      const counter = readCounter(d);
      const length = readLength(d, counter);
      ranges.push({ replica, counter, length });
    }
    return { kind: 'delete', ranges };
  }
  if (kind !== INSERT && kind !== TOMBSTONE) d.fail(`unknown operation kind ${kind}`);
  const id: RgaId = { replica: readReplica(d, replicas), counter: readCounter(d) };
  const left = readRef(d, replicas, id);
  const right = readRef(d, replicas, id);
  if (kind === INSERT) {
    const text = readText(d);
    if (text.length === 0) d.fail('insert with empty text');
    if (!Number.isSafeInteger(id.counter + text.length)) d.fail('insert counters overflow');
    return { kind: 'insert', id, left, right, text };
  }
  return { kind: 'tombstone', id, left, right, length: readLength(d, id.counter) };
}

function readReplica(d: Decoder, replicas: readonly ReplicaId[]): ReplicaId {
  const index = d.uint();
  const replica = replicas[index];
  if (replica === undefined) d.fail(`replica index ${index} outside the table`);
  return replica;
}

/** A counter: a positive safe integer. */
export function readCounter(d: Decoder): number {
  const counter = d.uint();
  if (counter < 1) d.fail('counter must be at least 1');
  return counter;
}

/** A run length ≥ 1 whose last counter stays a safe integer. */
export function readLength(d: Decoder, counter: number): number {
  const length = d.uint();
  if (length < 1) d.fail('length must be at least 1');
  if (!Number.isSafeInteger(counter + length)) d.fail('counters overflow');
  return length;
}

function readRef(d: Decoder, replicas: readonly ReplicaId[], id: RgaId): RgaId | null {
  const code = d.uint();
  if (code === REF_NONE) return null;
  if (code === REF_SAME_REPLICA) {
    const counter = id.counter - d.int();
    if (counter < 1 || !Number.isSafeInteger(counter)) d.fail('origin counter out of range');
    return { replica: id.replica, counter };
  }
  const replica = replicas[code - REF_TABLE];
  if (replica === undefined) d.fail(`replica index ${code - REF_TABLE} outside the table`);
  return { replica, counter: readCounter(d) };
}
