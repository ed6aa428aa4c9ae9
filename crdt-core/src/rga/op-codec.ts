import { type Decoder, decodeWith, Encoder, TypeTag } from '../encoding.ts';
import { type ReplicaId, replicaId } from '../replica-id.ts';
import { ReplicaTable } from './replica-table.ts';
import type { DeleteOp, IdRange, InsertOp, RgaId, RgaOp, TombstoneOp } from './types.ts';
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

/** Encode a batch of operations. */
export function encodeRgaOps(ops: readonly RgaOp[]): Uint8Array {
  if (ops.length === 1) return encodeRgaOp(ops[0] as RgaOp);
  const own = soleReplica(ops);
  return own !== null ? encodeOwnOps(ops, own) : encodeGeneral(ops);
}

/**
 * Encode one operation as a batch of one, the usual update of a live edit: the same bytes as
 * `encodeRgaOps([op])`, without the array.
 */
export function encodeRgaOp(op: RgaOp): Uint8Array {
  const bytes = op.kind === 'delete' ? encodeOneRangeDelete(op) : encodeKeystroke(op);
  if (bytes !== null) return bytes;
  const ops = [op];
  const own = soleReplica(ops);
  if (own !== null) return encodeOwnOps(ops, own);
  return op.kind === 'delete' ? encodeGeneral(ops) : encodeSingleInsert(op);
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
 * The same bytes as the general path for one insert with an origin of another replica (typing
 * next to someone else's text), without building a table.
 */
function encodeSingleInsert(op: InsertOp | TombstoneOp): Uint8Array {
  const own = op.id.replica;
  const left = op.left;
  const right = op.right;
  const kind = op.kind === 'insert' ? INSERT : TOMBSTONE;
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
 * The replica every id in `ops` belongs to (op ids, origins, deleted ranges), or null when there
 * are several or none. A replica's own edits are such batches: the fast path below encodes them.
 */
function soleReplica(ops: readonly RgaOp[]): ReplicaId | null {
  let own: ReplicaId | null = null;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as RgaOp;
    if (op.kind === 'delete') {
      const ranges = op.ranges;
      for (let k = 0; k < ranges.length; k++) {
        const replica = (ranges[k] as IdRange).replica;
        if (own === null) own = replica;
        else if (replica !== own) return null;
      }
    } else {
      if (own === null) own = op.id.replica;
      else if (op.id.replica !== own) return null;
      if ((op.left !== null && op.left.replica !== own) || (op.right !== null && op.right.replica !== own)) {
        return null;
      }
    }
  }
  return own;
}

/**
 * Exactly what the Encoder path writes for ops whose ids all belong to `own` (a one-entry replica
 * table): a replica's own edits that the single-op fast paths below do not take (a replacement's
 * delete and insert, a paste, non-ASCII text). Header and table are already in the scratch
 * buffer, the ops go after them, and one copy comes out. Tests check it matches the general path.
 */
function encodeOwnOps(ops: readonly RgaOp[], own: ReplicaId): Uint8Array {
  // Room per op: kind, replica, up to three 8-byte varints, the text at ≤ 3 bytes per unit.
  let room = 8;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as RgaOp;
    room +=
      op.kind === 'delete' ? 3 + 17 * op.ranges.length : op.kind === 'insert' ? 30 + 3 * op.text.length : 30;
  }
  const out = ownBuffer(own, room);
  let at = putVarint(out, tableLength, ops.length);
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as RgaOp;
    if (op.kind === 'delete') {
      out[at++] = DELETE;
      const ranges = op.ranges;
      at = putVarint(out, at, ranges.length);
      for (let k = 0; k < ranges.length; k++) {
        const range = ranges[k] as IdRange;
        out[at++] = 0;
        at = putVarint(out, at, range.counter);
        at = putVarint(out, at, range.length);
      }
      continue;
    }
    const counter = op.id.counter;
    out[at++] = op.kind === 'insert' ? INSERT : TOMBSTONE;
    out[at++] = 0;
    at = putVarint(out, at, counter);
    at = putOwnRef(out, at, counter, op.left);
    at = putOwnRef(out, at, counter, op.right);
    if (op.kind === 'insert') at = putText(out, at, op.text);
    else at = putVarint(out, at, op.length);
  }
  return out.slice(0, at);
}

/**
 * What encodeOwnOps writes for the commonest update of all, a typed character or a few: one insert
 * of short ASCII text whose origins are the replica's own, by the replica whose table is in the
 * scratch buffer. Null for anything else. Small and loop-light, so it is optimized early and
 * cheaply, before the general paths are hot.
 */
function encodeKeystroke(op: RgaOp): Uint8Array | null {
  if (op.kind !== 'insert') return null;
  const own = op.id.replica;
  const text = op.text;
  const left = op.left;
  const right = op.right;
  const n = text.length;
  if (
    own !== tableReplica ||
    n > 8 ||
    (left !== null && left.replica !== own) ||
    (right !== null && right.replica !== own)
  ) {
    return null;
  }
  const out = scratch;
  const counter = op.id.counter;
  let at = tableLength;
  out[at++] = 1;
  out[at++] = INSERT;
  out[at++] = 0;
  at = putVarint(out, at, counter);
  at = putOwnRef(out, at, counter, left);
  at = putOwnRef(out, at, counter, right);
  out[at++] = n;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return null;
    out[at++] = c;
  }
  return out.slice(0, at);
}

/** Likewise for a backspace or a deleted selection: one delete of one range of that replica. */
function encodeOneRangeDelete(op: DeleteOp): Uint8Array | null {
  const ranges = op.ranges;
  if (ranges.length !== 1) return null;
  const range = ranges[0] as IdRange;
  if (range.replica !== tableReplica) return null;
  const out = scratch;
  let at = tableLength;
  out[at++] = 1;
  out[at++] = DELETE;
  out[at++] = 1;
  out[at++] = 0;
  at = putVarint(out, at, range.counter);
  at = putVarint(out, at, range.length);
  return out.slice(0, at);
}

/** An origin of the op's own replica (or none), as writeRef writes it. One store site for both. */
function putOwnRef(out: Uint8Array, at: number, counter: number, ref: RgaId | null): number {
  // `next` is computed on both paths: an arithmetic op first reached in optimized code (typing at
  // the document end after typing elsewhere, or the reverse) would throw that code away.
  const next = at + 1;
  out[at] = ref === null ? REF_NONE : REF_SAME_REPLICA;
  return ref === null ? next : putVarint(out, next, zigzag(counter - ref.counter));
}

/** Length-prefixed WTF-8 text, as writeText writes it; ASCII (the usual keystroke) byte by byte. */
function putText(out: Uint8Array, at: number, text: string): number {
  const n = text.length;
  if (n < 0x80) {
    const lengthAt = at++;
    let i = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) break;
      out[at++] = c;
    }
    if (i === n) {
      out[lengthAt] = n;
      return at;
    }
    at = lengthAt;
  }
  at = putVarint(out, at, wtf8Length(text));
  return writeInto(text, out, at);
}

/** Zigzag, as Encoder.int writes it; branch-free arithmetic so either sign runs the same code. */
function zigzag(value: number): number {
  return Math.abs(value) * 2 - (value < 0 ? 1 : 0);
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

/**
 * Output buffer of the own-ops encoder (one batch is encoded at a time; callers get a copy). It
 * starts with header and one-entry replica table of `tableReplica`: a replica usually encodes only
 * its own ops, so these are written once, not per op.
 */
let scratch = new Uint8Array(256);
let tableReplica: ReplicaId | null = null;
let tableLength = 0;

/** The scratch buffer holding header and table for `replica`, with at least `room` bytes after. */
function ownBuffer(replica: ReplicaId, room: number): Uint8Array {
  if (replica !== tableReplica) {
    const e = new Encoder();
    e.header(TypeTag.RgaUpdate);
    e.uint(1);
    writeText(e, replica);
    const start = e.finish();
    if (start.length + 64 > scratch.length) scratch = new Uint8Array(2 * (start.length + 64));
    scratch.set(start);
    tableLength = start.length;
    tableReplica = replica;
  }
  if (tableLength + room <= scratch.length) return scratch;
  // A long text: a buffer of its own, kept as the scratch buffer unless it is big.
  const out = new Uint8Array(2 * (tableLength + room));
  out.set(scratch.subarray(0, tableLength));
  if (out.length <= 8192) scratch = out;
  return out;
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
