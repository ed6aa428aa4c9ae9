import { type Decoder, decodeWith, Encoder, isCompact, TypeTag } from '../encoding.ts';
import type { ReplicaId } from '../replica-id.ts';
import { readCounter, readLength, readReplica, tableEntry } from './id-fields.ts';
import { readFormat1Op, readFormat1ReplicaTable } from './op-codec-format-1.ts';
import { ReplicaTable, readCompactReplicaTable, writeCompactReplicaTable } from './replica-table.ts';
import type { DeleteOp, IdRange, InsertOp, RgaId, RgaOp, TombstoneOp } from './types.ts';
import { readText, writeText } from './wtf8.ts';

/**
 * Binary form of a batch of RGA operations (an "update"), format 2 (BINARY.md has the details):
 *
 *   compact header (RgaUpdate), compact replica table, then operations to the end of the input,
 *   each a flags byte and its fields:
 *     bits 0-1  kind: 0 insert, 1 tombstone, 2 delete
 *   insert / tombstone:
 *     bits 2-3  left origin: 0 document start; 1 the op's own predecessor (its replica, counter - 1);
 *               2 the op's replica, zigzag(counter - origin counter) follows; 3 table index and
 *               counter follow
 *     bits 4-5  right origin: 0 document end; 1 inherited (the left origin's right origin);
 *               2 and 3 as for the left
 *     bit 6     the op's replica index follows (else table entry 0)
 *     bit 7     insert: the text is one ASCII character, its byte follows (else length-prefixed
 *               WTF-8); tombstone: one character long (else its length follows)
 *     then [replica index], counter, [left fields], [right fields], text or length
 *   delete:
 *     bits 2-6  number of ranges, 1 … 31 (0: a count follows)
 *     bit 7     each range names its replica index (else all are table entry 0's)
 *     then per range [replica index], counter, length
 *
 * A keystroke typed on is a dozen bytes: header, replica table (the replica's id), flags, counter
 * and the character. Format 1 updates (op-codec-format-1.ts) still decode.
 */

const INSERT = 0;
const TOMBSTONE = 1;
const DELETE = 2;

const REF_NONE = 0;
/** Left: the op's own predecessor. Right: inherited from the left origin. */
const REF_IMPLIED = 1;
const REF_SAME_REPLICA = 2;
const REF_TABLE = 3;

const REPLICA_FOLLOWS = 0x40;
const SHORT = 0x80;
const RANGES_NAME_REPLICAS = 0x80;
const MAX_INLINE_RANGES = 31;

/** Encode a batch of operations. */
export function encodeRgaOps(ops: readonly RgaOp[]): Uint8Array {
  if (ops.length === 1) return encodeRgaOp(ops[0] as RgaOp);
  const first = ops[0];
  const second = ops[1];
  // A replacement (typing over a selection, an autocorrection): a delete, then an insert there.
  const bytes =
    ops.length === 2 && first?.kind === 'delete' && second?.kind === 'insert'
      ? encodeReplacement(first, second)
      : null;
  return bytes ?? encodeGeneral(ops);
}

/**
 * Encode one operation as a batch of one, the usual update of a live edit: the same bytes as
 * `encodeRgaOps([op])`, without the array. A replica's own keystrokes and backspaces take short
 * paths that reuse the header and replica table of the previous call.
 */
export function encodeRgaOp(op: RgaOp): Uint8Array {
  const bytes = op.kind === 'delete' ? encodeOwnDelete(op) : encodeKeystroke(op);
  return bytes ?? encodeGeneral([op]);
}

/** The Encoder path for any batch; the reference the fast paths must match byte for byte. */
export function encodeGeneral(ops: readonly RgaOp[]): Uint8Array {
  const table = new ReplicaTable();
  // About the bytes of a batch of ASCII text from few replicas, so that a save's thousand ops are
  // written without the buffer doubling again and again (it still grows for anything larger).
  let size = 64;
  for (const op of ops) {
    if (op.kind === 'delete') {
      for (const range of op.ranges) table.indexOf(range.replica);
      size += 2 + 8 * op.ranges.length;
    } else {
      table.indexOf(op.id.replica);
      if (op.left !== null) table.indexOf(op.left.replica);
      if (op.right !== null && op.right !== 'inherit') table.indexOf(op.right.replica);
      size += op.kind === 'insert' ? 12 + op.text.length : 16;
    }
  }
  const e = new Encoder(ops.length === 1 ? 32 : size);
  e.compactHeader(TypeTag.RgaUpdate);
  writeCompactReplicaTable(e, table.ids);
  for (const op of ops) {
    if (op.kind === 'delete') writeDelete(e, op, table);
    else writeInsert(e, op, table);
  }
  return e.finish();
}

function writeDelete(e: Encoder, op: DeleteOp, table: ReplicaTable): void {
  const ranges = op.ranges;
  const named = ranges.some((range) => table.indexOf(range.replica) !== 0);
  const inline = ranges.length >= 1 && ranges.length <= MAX_INLINE_RANGES ? ranges.length : 0;
  e.byte(DELETE | (inline << 2) | (named ? RANGES_NAME_REPLICAS : 0));
  if (inline === 0) e.uint(ranges.length);
  for (const range of ranges) {
    if (named) e.uint(table.indexOf(range.replica));
    e.uint(range.counter);
    e.uint(range.length);
  }
}

function writeInsert(e: Encoder, op: InsertOp | TombstoneOp, table: ReplicaTable): void {
  const own = table.indexOf(op.id.replica);
  const counter = op.id.counter;
  const left = op.left;
  const right = op.right;
  if (right === 'inherit' && left === null)
    throw new RangeError('encode: an inherited right origin needs a left origin');
  const leftKind =
    left === null
      ? REF_NONE
      : left.replica === op.id.replica && left.counter === counter - 1
        ? REF_IMPLIED
        : refKind(op.id, left);
  const rightKind = right === null ? REF_NONE : right === 'inherit' ? REF_IMPLIED : refKind(op.id, right);
  const short = op.kind === 'insert' ? op.text.length === 1 && op.text.charCodeAt(0) < 0x80 : op.length === 1;
  e.byte(
    (op.kind === 'insert' ? INSERT : TOMBSTONE) |
      (leftKind << 2) |
      (rightKind << 4) |
      (own !== 0 ? REPLICA_FOLLOWS : 0) |
      (short ? SHORT : 0),
  );
  if (own !== 0) e.uint(own);
  e.uint(counter);
  writeRef(e, leftKind, counter, left, table);
  writeRef(e, rightKind, counter, right === 'inherit' ? null : right, table);
  if (op.kind === 'insert') {
    if (short) e.byte(op.text.charCodeAt(0));
    else writeText(e, op.text);
  } else if (!short) e.uint(op.length);
}

function refKind(id: RgaId, ref: RgaId): number {
  return ref.replica === id.replica ? REF_SAME_REPLICA : REF_TABLE;
}

function writeRef(e: Encoder, kind: number, counter: number, ref: RgaId | null, table: ReplicaTable): void {
  if (kind === REF_SAME_REPLICA) e.uint(zigzag(counter - (ref as RgaId).counter));
  else if (kind === REF_TABLE) {
    e.uint(table.indexOf((ref as RgaId).replica));
    e.uint((ref as RgaId).counter);
  }
}

/**
 * What the general path writes for the commonest update of all, a typed character or a few: one
 * insert of short ASCII text whose origins are its own replica's (or inherited), with the header and
 * table of that replica kept from the previous call. Null for anything else. Small and loop-light,
 * so it is optimized early and cheaply, before the general paths are hot.
 */
function encodeKeystroke(op: RgaOp): Uint8Array | null {
  if (op.kind !== 'insert') return null;
  const own = op.id.replica;
  const text = op.text;
  const left = op.left;
  const right = op.right;
  const n = text.length;
  const counter = op.id.counter;
  // A character typed on: the bytes straight from its fields.
  if (
    n === 1 &&
    right === 'inherit' &&
    left !== null &&
    left.counter === counter - 1 &&
    left.replica === own
  ) {
    const bytes = typedOnUpdate(own, counter, text);
    if (bytes !== null) return bytes;
  }
  return encodeOwnInsert(op);
}

/**
 * The update of ASCII `text` typed on by `replica` (first id `counter`, left origin its own
 * predecessor, right origin inherited): flags, counter, [length] and the bytes after the header and
 * table, straight into an array of its exact size; the bytes `encodeGeneral` writes for that insert.
 * Null for text that is not ASCII, a counter past three varint bytes or while the header and table
 * are not `replica`'s yet (the callers' other paths write those). `Rga.insertUpdate` calls it with no
 * op object at all, for a keystroke and a paste typed on alike: every statement runs for a
 * keystroke, so a paste meets no code V8 optimized without type feedback.
 */
export function typedOnUpdate(replica: ReplicaId, counter: number, text: string): Uint8Array | null {
  const n = text.length;
  if (n === 0 || replica !== tableReplica || counter >= 0x200000) return null;
  const digits = counter < 0x80 ? 1 : counter < 0x4000 ? 2 : 3;
  // A length follows the counter unless the text is one character (then the flags say so). Its
  // size is computed without branches, and it is written by the counter's loop: a paste then runs
  // only code a keystroke has run (a branch first taken by a paste would throw the code away).
  const lengthSize = Math.max(1, Math.ceil((32 - Math.clz32(n)) / 7));
  const lengthDigits = n === 1 ? 0 : lengthSize;
  const prefix = tablePrefix;
  const at = prefix.length;
  const out = new Uint8Array(at + 1 + digits + lengthDigits + n);
  for (let i = 0; i < at; i++) out[i] = prefix[i] as number;
  out[at] = n === 1 ? TYPED_ON : TYPED_ON_TEXT;
  // One loop for every counter size: a branch per size would first run at counter 16,384, after
  // this function is optimized, and throw its code away. For one character the length is written
  // and then overwritten by the character.
  let p = at + 1;
  let afterCounter = p;
  for (let k = 0; k < 2; k++) {
    let v = k === 0 ? counter : n;
    while (v >= 0x80) {
      out[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    out[p++] = v;
    if (k === 0) afterCounter = p;
  }
  p = n === 1 ? afterCounter : p;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return null;
    out[p++] = c;
  }
  return out;
}

/**
 * The update of one delete of `length` of `replica`'s own ids from `counter` (a backspace, a
 * selection within one run): the bytes `encodeGeneral` writes for that delete, or null for a
 * replica id too long for the fast paths' table.
 */
export function ownRangeUpdate(replica: ReplicaId, counter: number, length: number): Uint8Array | null {
  const out = ownBuffer(replica);
  if (out === null) return null;
  let at = tableLength;
  out[at++] = DELETE | (1 << 2);
  at = putVarint(out, at, counter);
  at = putVarint(out, at, length);
  return copyOut(out, at);
}

/**
 * The other inserts of ASCII text (up to MAX_FAST_TEXT characters) with the replica's own origins
 * (or inherited): typing elsewhere, a pasted word or line. A function of its own, so the
 * keystroke's is small to compile.
 */
function encodeOwnInsert(op: InsertOp): Uint8Array | null {
  const out = ownBuffer(op.id.replica);
  if (out === null) return null;
  const end = writeOwnInsert(out, tableLength, op);
  return end < 0 ? null : copyOut(out, end);
}

/**
 * Write an insert of ASCII text (up to MAX_FAST_TEXT characters) with its replica's own origins (or
 * inherited) at `at` of the scratch buffer, whose table is that replica's; returns where it ends,
 * or -1 for any other insert.
 */
function writeOwnInsert(out: Uint8Array, at: number, op: InsertOp): number {
  const own = op.id.replica;
  const left = op.left;
  const right = op.right;
  if (left !== null && left.replica !== own) return -1;
  if (right !== null && right !== 'inherit' && right.replica !== own) return -1;
  if (right === 'inherit' && left === null) return -1;
  const leftCounter = left === null ? NO_ORIGIN : left.counter;
  const rightCounter = right === null ? NO_ORIGIN : right === 'inherit' ? INHERITED : right.counter;
  return writeInsertFields(out, at, op.id.counter, op.text, leftCounter, rightCounter);
}

/** An origin the op-free writers take: none (the document's start or end), or inherited (right). */
export const NO_ORIGIN = -1;
export const INHERITED = -2;

/**
 * The insert `writeOwnInsert` writes, from its fields: `counter` its first id, origins of its own
 * replica given by counter (NO_ORIGIN for none, `right` INHERITED for an inherited one).
 * Returns where it ends, or -1 for text that is not ASCII or longer than MAX_FAST_TEXT.
 */
function writeInsertFields(
  out: Uint8Array,
  at: number,
  counter: number,
  text: string,
  left: number,
  right: number,
): number {
  const n = text.length;
  if (n > MAX_FAST_TEXT) return -1;
  const leftKind = left === NO_ORIGIN ? REF_NONE : left === counter - 1 ? REF_IMPLIED : REF_SAME_REPLICA;
  const rightKind = right === NO_ORIGIN ? REF_NONE : right === INHERITED ? REF_IMPLIED : REF_SAME_REPLICA;
  const flagsAt = at++;
  at = putVarint(out, at, counter);
  if (leftKind === REF_SAME_REPLICA) at = putVarint(out, at, zigzag(counter - left));
  if (rightKind === REF_SAME_REPLICA) at = putVarint(out, at, zigzag(counter - right));
  // Length-prefixed text, as writeText writes it (ASCII: one byte a character).
  if (n !== 1) at = putVarint(out, at, n);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return -1;
    out[at++] = c;
  }
  out[flagsAt] = INSERT | (leftKind << 2) | (rightKind << 4) | (n === 1 ? SHORT : 0);
  return at;
}

/**
 * The update of `replica`'s insert of `text` at `counter` whose origins are its own (given as
 * `writeInsertFields` takes them), with no op object: `encodeRgaOp` of that insert, byte for byte,
 * or null when the fast path cannot write it (text not ASCII or too long, an unusually long id).
 * `Rga.insertUpdate` writes an insert that does not type on with it.
 */
export function ownInsertUpdate(
  replica: ReplicaId,
  counter: number,
  text: string,
  left: number,
  right: number,
): Uint8Array | null {
  const out = ownBuffer(replica);
  if (out === null) return null;
  const end = writeInsertFields(out, tableLength, counter, text, left, right);
  return end < 0 ? null : copyOut(out, end);
}

/**
 * `encodeRgaOps([del, insert])` for `replica`'s delete of its own ids `ranges` and its insert as
 * `ownInsertUpdate` takes it, byte for byte, with no insert op; null when the fast paths cannot
 * write them.
 */
export function ownReplacementUpdate(
  ranges: readonly IdRange[],
  replica: ReplicaId,
  counter: number,
  text: string,
  left: number,
  right: number,
): Uint8Array | null {
  const out = ownBuffer(replica);
  if (out === null) return null;
  const at = writeOwnRanges(out, tableLength, ranges, replica);
  const end = at < 0 ? -1 : writeInsertFields(out, at, counter, text, left, right);
  return end < 0 ? null : copyOut(out, end);
}

/** `encodeRgaOp(op)` for a delete, byte for byte: the caller knows its kind, so no insert path is compiled in. */
export function deleteOpUpdate(op: DeleteOp): Uint8Array {
  return encodeOwnDelete(op) ?? encodeGeneral([op]);
}

/**
 * Likewise for a backspace or a deleted selection: one delete of up to MAX_FAST_RANGES ranges,
 * all of one replica's ids (a selection over text typed at different times has several).
 */
function encodeOwnDelete(op: DeleteOp): Uint8Array | null {
  const ranges = op.ranges;
  if (ranges.length === 0) return null;
  const own = (ranges[0] as IdRange).replica;
  const out = ownBuffer(own);
  if (out === null) return null;
  const end = writeOwnRanges(out, tableLength, ranges, own);
  return end < 0 ? null : copyOut(out, end);
}

/**
 * A replacement by one replica: the delete of its own ids and its own insert, as the two fast paths
 * write them one after the other (the general path writes the same, since both name only table
 * entry 0). Null for any other pair.
 */
function encodeReplacement(del: DeleteOp, insert: InsertOp): Uint8Array | null {
  const own = insert.id.replica;
  const out = ownBuffer(own);
  if (out === null) return null;
  const at = writeOwnRanges(out, tableLength, del.ranges, own);
  const end = at < 0 ? -1 : writeOwnInsert(out, at, insert);
  return end < 0 ? null : copyOut(out, end);
}

/**
 * A delete of 1 … MAX_FAST_RANGES ranges of `own`'s ids (table entry 0) at `at`; returns where it
 * ends, or -1 for any other delete.
 */
function writeOwnRanges(out: Uint8Array, at: number, ranges: readonly IdRange[], own: ReplicaId): number {
  const count = ranges.length;
  if (count < 1 || count > MAX_FAST_RANGES) return -1;
  // Up to MAX_INLINE_RANGES the count is in the flags; past it, a varint after them.
  const inline = count <= MAX_INLINE_RANGES ? count : 0;
  out[at++] = DELETE | (inline << 2);
  if (inline === 0) at = putVarint(out, at, count);
  for (let i = 0; i < count; i++) {
    const range = ranges[i] as IdRange;
    if (range.replica !== own) return -1;
    at = putVarint(out, at, range.counter);
    at = putVarint(out, at, range.length);
  }
  return at;
}

/**
 * The first `length` bytes of the scratch buffer as a new array. A byte loop: `slice` allocates
 * through the species machinery and costs about twice a plain allocation, and updates are a dozen
 * bytes.
 */
function copyOut(out: Uint8Array, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = out[i] as number;
  return bytes;
}

/** Zigzag, as the decoder reads it; branch-free arithmetic so either sign runs the same code. */
function zigzag(value: number): number {
  return Math.abs(value) * 2 - (value < 0 ? 1 : 0);
}

/** LEB128, as Encoder.uint writes it (bit operations below 2^31, where counters are). */
function putVarint(out: Uint8Array, at: number, value: number): number {
  if (value < 0x80000000) {
    while (value >= 0x80) {
      out[at++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
  } else {
    while (value >= 0x80) {
      out[at++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
  }
  out[at++] = value;
  return at;
}

/**
 * Longest text and most ranges the fast paths write (longer inserts and larger deletes take the
 * general path). Large enough for pasted pages and deleted sections: an update the fast paths
 * cannot take runs `encodeGeneral`, whose first call in a long session compiles it and throws away
 * the optimized code of every caller that inlined the fast paths.
 */
const MAX_FAST_TEXT = 16384;
const MAX_FAST_RANGES = 1024;

/**
 * Output buffer of the fast paths (one update is encoded at a time; callers get a copy). It starts
 * with the header and one-entry replica table of `tableReplica`: a replica usually encodes only its
 * own ops, so these are written once, not per op. Room follows for a delete of MAX_FAST_RANGES
 * ranges (flags, a count varint, two varints of at most 8 bytes each a range) and an insert of
 * MAX_FAST_TEXT characters (flags, three varints, a length varint, the text): 33 KB.
 */
const scratch = new Uint8Array(64 + 1 + 8 + MAX_FAST_RANGES * 16 + 1 + 3 * 8 + 8 + MAX_FAST_TEXT);
let tableReplica: ReplicaId | null = null;
let tableLength = 0;
/** Header and table of `tableReplica` (the scratch buffer's first `tableLength` bytes). */
let tablePrefix: Uint8Array = new Uint8Array(0);
/** Flags of a character typed on: insert, own predecessor, inherited right origin, one ASCII byte. */
const TYPED_ON = INSERT | (REF_IMPLIED << 2) | (REF_IMPLIED << 4) | SHORT;
/** Flags of longer text typed on (its length follows the counter). */
const TYPED_ON_TEXT = INSERT | (REF_IMPLIED << 2) | (REF_IMPLIED << 4);

/** The scratch buffer holding header and table for `replica`, or null for an unusually long id. */
function ownBuffer(replica: ReplicaId): Uint8Array | null {
  if (replica !== tableReplica) {
    const start = prefixOf(replica);
    // A long, unpackable id (up to 256 characters of UTF-8): the general path handles it.
    if (start.length > 64) return null;
    scratch.set(start);
    tableLength = start.length;
    tableReplica = replica;
    tablePrefix = start;
  }
  return scratch;
}

/** Header and one-entry table per replica, for replicas that take turns (a merge, a test). */
const prefixes = new Map<ReplicaId, Uint8Array>();

function prefixOf(replica: ReplicaId): Uint8Array {
  let start = prefixes.get(replica);
  if (start === undefined) {
    const e = new Encoder();
    e.compactHeader(TypeTag.RgaUpdate);
    writeCompactReplicaTable(e, [replica]);
    start = e.finish();
    if (prefixes.size >= 64) prefixes.clear();
    prefixes.set(replica, start);
  }
  return start;
}

/** Decode what `encodeRgaOps` wrote, in either format; any malformed input is a DecodeError. */
export function decodeRgaOps(bytes: Uint8Array): RgaOp[] {
  if (!isCompact(bytes, TypeTag.RgaUpdate)) {
    return decodeWith(bytes, TypeTag.RgaUpdate, (d) => {
      const replicas = readFormat1ReplicaTable(d);
      const count = d.count(2);
      const ops: RgaOp[] = [];
      for (let i = 0; i < count; i++) ops.push(readFormat1Op(d, replicas));
      return ops;
    });
  }
  return decodeWith(
    bytes,
    TypeTag.RgaUpdate,
    (d) => {
      const replicas = readCompactReplicaTable(d);
      const ops: RgaOp[] = [];
      while (d.remaining > 0) ops.push(readOp(d, replicas));
      return ops;
    },
    'compact',
  );
}

function readOp(d: Decoder, replicas: readonly ReplicaId[]): RgaOp {
  const flags = d.byte();
  const kind = flags & 3;
  if (kind === DELETE) {
    let count = (flags >> 2) & MAX_INLINE_RANGES;
    if (count === 0) count = d.count(2);
    const named = (flags & RANGES_NAME_REPLICAS) !== 0;
    const ranges: IdRange[] = [];
    for (let i = 0; i < count; i++) {
      const replica = named ? readReplica(d, replicas) : tableEntry(d, replicas, 0);
      const counter = readCounter(d);
      const length = readLength(d, counter);
      ranges.push({ replica, counter, length });
    }
    return { kind: 'delete', ranges };
  }
  if (kind !== INSERT && kind !== TOMBSTONE) d.fail(`unknown operation kind ${kind}`);
  const replica = (flags & REPLICA_FOLLOWS) !== 0 ? readReplica(d, replicas) : tableEntry(d, replicas, 0);
  const id: RgaId = { replica, counter: readCounter(d) };
  const leftKind = (flags >> 2) & 3;
  const left =
    leftKind === REF_IMPLIED
      ? id.counter > 1
        ? { replica, counter: id.counter - 1 }
        : d.fail('the first id of a replica has no predecessor')
      : readRef(d, leftKind, id, replicas);
  const rightKind = (flags >> 4) & 3;
  let right: RgaId | null | 'inherit';
  if (rightKind === REF_IMPLIED) {
    if (left === null) d.fail('an inherited right origin needs a left origin');
    right = 'inherit';
  } else right = readRef(d, rightKind, id, replicas);
  const short = (flags & SHORT) !== 0;
  if (kind === INSERT) {
    let text: string;
    if (short) {
      const c = d.byte();
      if (c >= 0x80) d.fail('one-character text must be ASCII');
      text = String.fromCharCode(c);
    } else {
      text = readText(d);
      if (text.length === 0) d.fail('insert with empty text');
    }
    if (!Number.isSafeInteger(id.counter + text.length)) d.fail('insert counters overflow');
    return { kind: 'insert', id, left, right, text };
  }
  if (right === 'inherit') d.fail('tombstones name their right origin');
  const length = short ? 1 : readLength(d, id.counter);
  if (!Number.isSafeInteger(id.counter + length)) d.fail('counters overflow');
  return { kind: 'tombstone', id, left, right, length };
}

function readRef(d: Decoder, kind: number, id: RgaId, replicas: readonly ReplicaId[]): RgaId | null {
  if (kind === REF_NONE) return null;
  if (kind === REF_SAME_REPLICA) {
    const z = d.uint();
    const counter = id.counter - (z % 2 === 0 ? z / 2 : -(z + 1) / 2);
    if (counter < 1 || !Number.isSafeInteger(counter)) d.fail('origin counter out of range');
    return { replica: id.replica, counter };
  }
  return { replica: readReplica(d, replicas), counter: readCounter(d) };
}
