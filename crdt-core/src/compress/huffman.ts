import type { BitReader, BitWriter } from './bits.ts';

/**
 * Canonical Huffman codes, as DEFLATE (RFC 1951) uses them: a code is given by its code lengths
 * alone (shorter codes first, then by symbol), and the lengths travel run-length coded with a small
 * Huffman code of their own. Every used symbol gets at least one bit, so a stream of n symbols
 * takes at least n bits: a decoder can bound a symbol count by the bits that remain.
 */

/** Longest code length any stream uses (alphabets up to 2^15 symbols). */
export const MAX_CODE_LENGTH = 15;

/**
 * The code length limit for `used` symbols: short enough that a decoder's table (2^limit entries)
 * is cheap to build, long enough to cost almost nothing in size (11 bits for up to 511 symbols).
 */
export function lengthLimit(used: number): number {
  return Math.min(MAX_CODE_LENGTH, Math.max(11, 34 - Math.clz32(used)));
}

/**
 * Code lengths for symbol frequencies (0 = unused), none longer than `maxLength`: Huffman's
 * construction, then, if some code came out too long, leaves moved down a level from the deepest
 * level that has room until the lengths satisfy Kraft's inequality again (as zlib does). A single
 * used symbol gets length 1.
 *
 * Built the two-queue way (leaves sorted by frequency with one native sort, merged nodes in the
 * order they are made, which is also by weight): no heap and no closures, since encoders run cold.
 */
export function codeLengths(freqs: ArrayLike<number>, maxLength: number): Uint8Array {
  const n = freqs.length;
  const lengths = new Uint8Array(n);
  const used: number[] = [];
  for (let s = 0; s < n; s++) if ((freqs[s] as number) > 0) used.push(s);
  const m = used.length;
  if (m === 0) return lengths;
  if (m === 1) {
    lengths[used[0] as number] = 1;
    return lengths;
  }
  if (m > 2 ** maxLength) throw new RangeError(`${m} symbols need codes over ${maxLength} bits`);
  // Leaves by frequency, then symbol: frequency and the index in `used` packed in one number.
  const keys = new Float64Array(m);
  for (let i = 0; i < m; i++) keys[i] = (freqs[used[i] as number] as number) * 0x20000 + i;
  keys.sort();
  // Nodes: leaves 0 … m-1 in that order, then merged nodes m … 2m-2 in the order they are made.
  const weight = new Float64Array(2 * m - 1);
  const parent = new Int32Array(2 * m - 1);
  for (let k = 0; k < m; k++) weight[k] = Math.floor((keys[k] as number) / 0x20000);
  let leaf = 0;
  let merged = m;
  for (let next = m; next < 2 * m - 1; next++) {
    // The lighter of the next leaf and the next merged node, twice (a leaf on ties).
    let a: number;
    if (leaf < m && (merged >= next || (weight[leaf] as number) <= (weight[merged] as number))) a = leaf++;
    else a = merged++;
    let b: number;
    if (leaf < m && (merged >= next || (weight[leaf] as number) <= (weight[merged] as number))) b = leaf++;
    else b = merged++;
    weight[next] = (weight[a] as number) + (weight[b] as number);
    parent[a] = next;
    parent[b] = next;
  }
  // Depths: the root is the last node made; every node's parent was made after it.
  const depth = new Int32Array(2 * m - 1);
  for (let i = 2 * m - 3; i >= 0; i--) depth[i] = (depth[parent[i] as number] as number) + 1;
  // Count leaves per length, clamping to maxLength, then restore Kraft's inequality.
  const count = new Float64Array(maxLength + 1);
  let kraft = 0;
  const unit = 2 ** maxLength;
  for (let k = 0; k < m; k++) {
    const d = Math.min(depth[k] as number, maxLength);
    count[d] = (count[d] as number) + 1;
    kraft += 2 ** (maxLength - d);
  }
  while (kraft > unit) {
    let bits = maxLength - 1;
    while (count[bits] === 0) bits--;
    count[bits] = (count[bits] as number) - 1;
    count[bits + 1] = (count[bits + 1] as number) + 1;
    kraft -= 2 ** (maxLength - bits - 1);
  }
  // The most frequent symbols (last in `keys`) get the shortest lengths.
  let k = m - 1;
  for (let len = 1; len <= maxLength; len++) {
    for (let c = count[len] as number; c > 0; c--) {
      lengths[used[(keys[k--] as number) % 0x20000] as number] = len;
    }
  }
  return lengths;
}

/** The canonical code of each symbol, bit-reversed for least-significant-first writing. */
// biome-ignore format: the parentheses make V8 compile it with the module (a cold decode path)
export const canonicalCodes = (function canonicalCodes(lengths: Uint8Array): Uint32Array {
  let maxLength = 0;
  for (let s = 0; s < lengths.length; s++)
    if ((lengths[s] as number) > maxLength) maxLength = lengths[s] as number;
  const count = new Uint32Array(maxLength + 2);
  for (const len of lengths) if (len > 0) count[len] = (count[len] as number) + 1;
  const nextCode = new Uint32Array(maxLength + 2);
  let code = 0;
  for (let len = 1; len <= maxLength; len++) {
    code = (code + (count[len - 1] as number)) << 1;
    nextCode[len] = code;
  }
  // count[0] holds no used symbols: the loop above starts from code 0 at length 1.
  const codes = new Uint32Array(lengths.length);
  for (let s = 0; s < lengths.length; s++) {
    const len = lengths[s] as number;
    if (len === 0) continue;
    const c = nextCode[len] as number;
    nextCode[len] = c + 1;
    codes[s] = reverse(c, len);
  }
  return codes;
});

function reverse(code: number, length: number): number {
  let out = 0;
  for (let i = 0; i < length; i++) {
    out = (out << 1) | (code & 1);
    code >>>= 1;
  }
  return out;
}

/**
 * A decode table for `BitReader.symbol` and the inline loops: indexed by the next `bits` bits, an
 * entry is `value << 5 | code length`; a bit pattern no code starts with has length NO_CODE, longer
 * than any reader ever holds, so one `length > bits held` test catches it and a truncated stream.
 */
export interface DecodeTable {
  readonly table: Int32Array;
  readonly bits: number;
}

/** The length field of a table entry no code starts with. */
export const NO_CODE = 31;

/**
 * The decode table for `lengths`, or a failure for lengths that are not a prefix code. Entries hold
 * the symbol, or `values[symbol]` when given (a decoder that maps symbols to what they stand for,
 * e.g. code units, then needs no second lookup).
 */
// biome-ignore format: the parentheses make V8 compile it with the module (a cold decode path)
export const decodeTable = (function decodeTable(
  lengths: Uint8Array,
  fail: (message: string) => never,
  values?: Int32Array,
): DecodeTable {
  let bits = 0;
  let kraft = 0;
  for (const len of lengths) {
    if (len === 0) continue;
    if (len > bits) bits = len;
    kraft += 2 ** -len;
  }
  if (kraft > 1) fail('over-subscribed Huffman code');
  const table = new Int32Array(1 << bits).fill(NO_CODE);
  const codes = canonicalCodes(lengths);
  for (let s = 0; s < lengths.length; s++) {
    const len = lengths[s] as number;
    if (len === 0) continue;
    const entry = ((values === undefined ? s : (values[s] as number)) << 5) | len;
    for (let i = codes[s] as number; i < table.length; i += 1 << len) table[i] = entry;
  }
  return { table, bits };
});

/** The order DEFLATE sends code-length code lengths in (the rarely used ones last). */
const LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
const REPEAT = 16;
const ZEROS = 17;
const MANY_ZEROS = 18;

/** Write code lengths as DEFLATE does: run-length coded, with a Huffman code for the run symbols. */
export function writeCodeLengths(w: BitWriter, lengths: Uint8Array): void {
  const symbols: number[] = [];
  const extras: number[] = [];
  for (let i = 0; i < lengths.length; ) {
    const len = lengths[i] as number;
    let run = 1;
    while (i + run < lengths.length && lengths[i + run] === len) run++;
    i += run;
    if (len === 0) {
      while (run >= 11) {
        const take = Math.min(run, 138);
        symbols.push(MANY_ZEROS);
        extras.push(take - 11);
        run -= take;
      }
      if (run >= 3) {
        symbols.push(ZEROS);
        extras.push(run - 3);
        run = 0;
      }
    } else {
      symbols.push(len);
      extras.push(0);
      run--;
      while (run >= 3) {
        const take = Math.min(run, 6);
        symbols.push(REPEAT);
        extras.push(take - 3);
        run -= take;
      }
    }
    for (; run > 0; run--) {
      symbols.push(len);
      extras.push(0);
    }
  }
  const freqs = new Uint32Array(19);
  for (const s of symbols) freqs[s] = (freqs[s] as number) + 1;
  const metaLengths = codeLengths(freqs, 7);
  let sent = 19;
  while (sent > 4 && metaLengths[LENGTH_ORDER[sent - 1] as number] === 0) sent--;
  w.write(sent - 4, 4);
  for (let i = 0; i < sent; i++) w.write(metaLengths[LENGTH_ORDER[i] as number] as number, 3);
  const codes = canonicalCodes(metaLengths);
  symbols.forEach((s, i) => {
    w.write(codes[s] as number, metaLengths[s] as number);
    if (s === REPEAT) w.write(extras[i] as number, 2);
    else if (s === ZEROS) w.write(extras[i] as number, 3);
    else if (s === MANY_ZEROS) w.write(extras[i] as number, 7);
  });
}

/** Read `count` code lengths written by `writeCodeLengths`; malformed input calls `fail`. */
// biome-ignore format: the parentheses make V8 compile it with the module (a cold decode path)
export const readCodeLengths = (function readCodeLengths(
  r: BitReader,
  count: number,
  fail: (message: string) => never,
): Uint8Array {
  const sent = r.read(4) + 4;
  const metaLengths = new Uint8Array(19);
  for (let i = 0; i < sent; i++) metaLengths[LENGTH_ORDER[i] as number] = r.read(3);
  const meta = decodeTable(metaLengths, fail);
  if (meta.bits === 0) fail('empty code-length code');
  const lengths = new Uint8Array(count);
  for (let i = 0; i < count; ) {
    const s = r.symbol(meta.table, meta.bits);
    let run: number;
    let value: number;
    if (s < REPEAT) {
      if (s > MAX_CODE_LENGTH) fail('code length too long');
      lengths[i++] = s;
      continue;
    }
    if (s === REPEAT) {
      if (i === 0) fail('code-length repeat with nothing before it');
      value = lengths[i - 1] as number;
      run = 3 + r.read(2);
    } else {
      value = 0;
      run = s === ZEROS ? 3 + r.read(3) : 11 + r.read(7);
    }
    if (i + run > count) fail('code-length run past the alphabet');
    lengths.fill(value, i, i + run);
    i += run;
  }
  return lengths;
});
