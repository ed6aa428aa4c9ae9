import { type Decoder, Encoder } from '../encoding.ts';
import { readText, writeText } from '../rga/wtf8.ts';
import { type BitReader, BitWriter } from './bits.ts';
import { bucketBase, bucketOf, bucketsFor, DIRECT, extraBitsOf, writeExtra } from './buckets.ts';
import {
  canonicalCodes,
  codeLengths,
  type DecodeTable,
  decodeTable,
  lengthLimit,
  MAX_CODE_LENGTH,
  readCodeLengths,
  writeCodeLengths,
} from './huffman.ts';
import { readIntStream, writeIntStream } from './int-stream.ts';
import { findMatches, MAX_DISTANCE, MAX_MATCH, MIN_MATCH } from './lz.ts';

/**
 * A string, compressed: LZ77 with Huffman codes, as DEFLATE does, but over the string's own
 * alphabet of UTF-16 code units instead of bytes, so text in any script is coded per character (26
 * CJK ideographs cost log2(26) bits each, not three UTF-8 bytes' worth) and lone surrogates need no
 * special case.
 *
 *   length in code units (varint), then, if length > 0, a mode byte:
 *     0 (plain)      the text as length-prefixed WTF-8 (see wtf8.ts);
 *     1 (compressed) the alphabet: its size and its code units in ascending order as an int column
 *                    of gaps (first unit, then each minus the one before minus one); then a bit
 *                    stream: code lengths of the literal/length code (alphabet + LENGTH_SYMBOLS
 *                    symbols) and of the distance code (DISTANCE_SYMBOLS), then tokens until
 *                    `length` code units are produced, ending at a byte boundary (zero padding).
 *   tokens: a literal (the code unit's index in the alphabet), or a match: its length bucket
 *           (length - MIN_MATCH) then its distance bucket (distance - 1), each with extra bits; the
 *           match repeats `length` units from `distance` units back (it may overlap itself).
 *
 * The encoder writes whichever mode is smaller. A token takes at least one bit and produces at
 * most MAX_MATCH units, so a decoder bounds `length` by the input that remains before allocating.
 */

const PLAIN = 0;
const COMPRESSED = 1;
const LENGTH_SYMBOLS = bucketsFor(MAX_MATCH - MIN_MATCH);
const DISTANCE_SYMBOLS = bucketsFor(MAX_DISTANCE - 1);
/** Longest string a decoder builds (V8's string limit is about 2^29). */
const MAX_LENGTH = 2 ** 29 - 24;
/** Units decoded per String.fromCharCode call. */
const CHUNK = 8192;

export function writeTextStream(e: Encoder, text: string): void {
  const n = text.length;
  e.uint(n);
  if (n === 0) return;
  const compressed = n >= 16 ? compress(text) : null;
  const plain = new Encoder(n + 8);
  writeText(plain, text);
  if (compressed !== null && compressed.length < plain.length + 1) {
    e.byte(COMPRESSED);
    e.raw(compressed);
  } else {
    e.byte(PLAIN);
    e.raw(plain.finish());
  }
}

export function readTextStream(d: Decoder): string {
  const n = d.uint();
  if (n === 0) return '';
  const mode = d.byte();
  if (mode === PLAIN) {
    const text = readText(d);
    if (text.length !== n) d.fail(`text has ${text.length} code units, its header says ${n}`);
    return text;
  }
  if (mode !== COMPRESSED) d.fail(`unknown text mode ${mode}`);
  if (n > MAX_LENGTH || n > d.remaining * 8 * MAX_MATCH) d.fail(`text of ${n} units exceeds the input`);
  const gaps = readIntStream(d, 0xffff);
  const size = gaps.length;
  if (size === 0) d.fail('empty alphabet');
  const alphabet = new Uint16Array(size);
  let unit = -1;
  for (let i = 0; i < size; i++) {
    unit += (gaps[i] as number) + 1;
    if (unit > 0xffff) d.fail('alphabet beyond UTF-16 code units');
    alphabet[i] = unit;
  }
  const r = d.bits();
  const fail = r.fail;
  const literals = decodeTable(readCodeLengths(r, size + LENGTH_SYMBOLS, fail), fail);
  const distances = decodeTable(readCodeLengths(r, DISTANCE_SYMBOLS, fail), fail);
  // ASCII text (every trace) decodes into bytes and becomes a one-byte string natively.
  const ascii = (alphabet[size - 1] as number) < 0x80;
  const units = ascii ? new Uint8Array(n) : new Uint16Array(n);
  decodeTokens(r, units, alphabet, literals, distances);
  d.endBits(r);
  if (ascii) return asciiDecoder.decode(units);
  // Without surrogate code units there are no lone ones, and UTF-16 decoding is exact.
  if ((alphabet[size - 1] as number) < 0xd800 || (alphabet[0] as number) > 0xdfff)
    return utf16Decoder.decode(units);
  let text = '';
  for (let at = 0; at < n; at += CHUNK) {
    text += String.fromCharCode.apply(null, units.subarray(at, at + CHUNK) as unknown as number[]);
  }
  return text;
}

const asciiDecoder = new TextDecoder('utf-8');
const utf16Decoder = new TextDecoder('utf-16le');

/**
 * The token loop: literals and matches into `units` until it is full. The bit reader's state is
 * kept in locals and read inline (see BitReader); only extra bits past 16 take a call.
 */
function decodeTokens(
  r: BitReader,
  units: Uint8Array | Uint16Array,
  alphabet: Uint16Array,
  literals: DecodeTable,
  distances: DecodeTable,
): void {
  const fail = r.fail;
  const n = units.length;
  const size = alphabet.length;
  const buf = r.buf;
  const end = r.end;
  const literalTable = literals.table;
  const literalMask = (1 << literals.bits) - 1;
  const distanceTable = distances.table;
  const distanceMask = (1 << distances.bits) - 1;
  let acc = r.acc;
  let have = r.count;
  let pos = r.pos;
  for (let at = 0; at < n; ) {
    while (have <= 16 && pos < end) {
      acc |= (buf[pos++] as number) << have;
      have += 8;
    }
    let entry = literalTable[acc & literalMask] as number;
    let length = entry & 31;
    if (entry < 0 || length > have) fail(entry < 0 ? 'invalid Huffman code' : 'bit stream ends early');
    acc >>>= length;
    have -= length;
    const symbol = entry >> 5;
    if (symbol < size) {
      units[at++] = alphabet[symbol] as number;
      continue;
    }
    // A match: its length (extra bits ≤ 5), then its distance.
    const lengthSymbol = symbol - size;
    let matchLength = lengthSymbol + MIN_MATCH;
    if (lengthSymbol >= DIRECT) {
      const extra = extraBitsOf(lengthSymbol);
      if (have < extra) fail('bit stream ends early');
      matchLength = ((2 | (lengthSymbol & 1)) << extra) + (acc & ((1 << extra) - 1)) + MIN_MATCH;
      acc >>>= extra;
      have -= extra;
    }
    while (have <= 16 && pos < end) {
      acc |= (buf[pos++] as number) << have;
      have += 8;
    }
    entry = distanceTable[acc & distanceMask] as number;
    length = entry & 31;
    if (entry < 0 || length > have) fail(entry < 0 ? 'invalid Huffman code' : 'bit stream ends early');
    acc >>>= length;
    have -= length;
    const distanceSymbol = entry >> 5;
    let distance = distanceSymbol + 1;
    if (distanceSymbol >= DIRECT) {
      r.acc = acc;
      r.count = have;
      r.pos = pos;
      distance = bucketBase(distanceSymbol) + r.readLong(extraBitsOf(distanceSymbol)) + 1;
      acc = r.acc;
      have = r.count;
      pos = r.pos;
    }
    if (distance > at) fail('match reaches before the text');
    if (at + matchLength > n) fail('match runs past the text');
    if (distance >= matchLength) units.copyWithin(at, at - distance, at - distance + matchLength);
    else for (let k = 0; k < matchLength; k++) units[at + k] = units[at + k - distance] as number;
    at += matchLength;
  }
  r.acc = acc;
  r.count = have;
  r.pos = pos;
}

/** The compressed mode's bytes, or null when the alphabet is too large for the code lengths. */
function compress(text: string): Uint8Array | null {
  const n = text.length;
  // The alphabet, and the text as indexes into it.
  const seen = new Uint8Array(0x10000);
  for (let i = 0; i < n; i++) seen[text.charCodeAt(i)] = 1;
  const indexOf = new Int32Array(0x10000);
  const gaps: number[] = [];
  let previous = -1;
  for (let unit = 0; unit < 0x10000; unit++) {
    if (seen[unit] === 0) continue;
    indexOf[unit] = gaps.length;
    gaps.push(unit - previous - 1);
    previous = unit;
  }
  const size = gaps.length;
  if (size + LENGTH_SYMBOLS > 2 ** MAX_CODE_LENGTH) return null;
  const symbols = new Int32Array(n);
  const counts = new Float64Array(size);
  for (let i = 0; i < n; i++) {
    const s = indexOf[text.charCodeAt(i)] as number;
    symbols[i] = s;
    counts[s] = (counts[s] as number) + 1;
  }
  // What each symbol costs as a literal, by its frequency: matches must beat that.
  const literalBits = counts.map((count) => Math.log2(n / count));
  const matches = findMatches(symbols, literalBits);
  // Token frequencies, then the codes.
  const literalFreqs = new Uint32Array(size + LENGTH_SYMBOLS);
  const distanceFreqs = new Uint32Array(DISTANCE_SYMBOLS);
  for (let i = 0; i < n; ) {
    const length = matches.length[i] as number;
    if (length === 0) {
      const s = symbols[i] as number;
      literalFreqs[s] = (literalFreqs[s] as number) + 1;
      i++;
      continue;
    }
    const ls = size + bucketOf(length - MIN_MATCH);
    literalFreqs[ls] = (literalFreqs[ls] as number) + 1;
    const ds = bucketOf((matches.distance[i] as number) - 1);
    distanceFreqs[ds] = (distanceFreqs[ds] as number) + 1;
    i += length;
  }
  const literalLengths = codeLengths(literalFreqs, lengthLimit(countUsed(literalFreqs)));
  const distanceLengths = codeLengths(distanceFreqs, lengthLimit(countUsed(distanceFreqs)));
  const literalCodes = canonicalCodes(literalLengths);
  const distanceCodes = canonicalCodes(distanceLengths);
  const w = new BitWriter(64 + n);
  writeCodeLengths(w, literalLengths);
  writeCodeLengths(w, distanceLengths);
  for (let i = 0; i < n; ) {
    const length = matches.length[i] as number;
    if (length === 0) {
      const s = symbols[i] as number;
      w.write(literalCodes[s] as number, literalLengths[s] as number);
      i++;
      continue;
    }
    const lb = bucketOf(length - MIN_MATCH);
    w.write(literalCodes[size + lb] as number, literalLengths[size + lb] as number);
    writeExtra(w, length - MIN_MATCH, lb);
    const distance = (matches.distance[i] as number) - 1;
    const db = bucketOf(distance);
    w.write(distanceCodes[db] as number, distanceLengths[db] as number);
    writeExtra(w, distance, db);
    i += length;
  }
  const bits = w.finish();
  const out = new Encoder(bits.length + 2 * size + 16);
  writeIntStream(out, gaps);
  out.raw(bits);
  return out.finish();
}

function countUsed(freqs: Uint32Array): number {
  let used = 0;
  for (let k = 0; k < freqs.length; k++) if ((freqs[k] as number) > 0) used++;
  return used;
}
