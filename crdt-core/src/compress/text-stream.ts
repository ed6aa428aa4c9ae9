import { type Decoder, Encoder } from '../encoding.ts';
import { readText, writeText, wtf8Length } from '../rga/wtf8.ts';
import { type BitReader, BitWriter, codeFailure } from './bits.ts';
import { bucketBase, bucketOf, bucketsFor, DIRECT, extraBitsOf } from './buckets.ts';
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
import { findMatches, MAX_DISTANCE, MAX_MATCH, type Matches, MIN_MATCH } from './lz.ts';

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
  // The plain mode's size: at least the WTF-8 bytes, which are at least one per code unit.
  if (compressed !== null && (compressed.length < n || compressed.length < wtf8Length(text))) {
    e.byte(COMPRESSED);
    e.raw(compressed);
  } else {
    e.byte(PLAIN);
    writeText(e, text);
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
  // Literal entries hold their code unit, match-length entries -1 - their bucket.
  const values = new Int32Array(size + LENGTH_SYMBOLS);
  values.set(alphabet);
  for (let k = 0; k < LENGTH_SYMBOLS; k++) values[size + k] = -1 - k;
  const literals = decodeTable(readCodeLengths(r, size + LENGTH_SYMBOLS, fail), fail, values);
  const distances = decodeTable(readCodeLengths(r, DISTANCE_SYMBOLS, fail), fail);
  // ASCII text (every trace) decodes into bytes and becomes a one-byte string natively.
  const ascii = (alphabet[size - 1] as number) < 0x80;
  const units = ascii ? new Uint8Array(n) : new Uint16Array(n);
  decodeTokens(r, units, literals, distances);
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
  literals: DecodeTable,
  distances: DecodeTable,
): void {
  const fail = r.fail;
  const n = units.length;
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
    if (length > have) fail(codeFailure(length));
    acc >>>= length;
    have -= length;
    if (entry >= 0) {
      units[at++] = entry >> 5;
      continue;
    }
    // A match: its length (extra bits ≤ 5), then its distance.
    const lengthSymbol = -1 - (entry >> 5);
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
    if (length > have) fail(codeFailure(length));
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

/**
 * The compressed mode's bytes, or null when the alphabet is too large for the code lengths. One
 * function per pass over the text: a snapshot is encoded cold, and an optimizing compile started
 * in one loop of a long function is thrown away when the next loop, which it knows nothing of, is
 * reached; a function per loop returns before that.
 */
function compress(text: string): Uint8Array | null {
  const scan = scanUnits(text);
  const { units, seen, low, high } = scan;
  const indexOf = new Int32Array(high + 1);
  const gaps: number[] = [];
  let previous = -1;
  for (let unit = low; unit <= high; unit++) {
    if (seen[unit] === 0) continue;
    indexOf[unit] = gaps.length;
    gaps.push(unit - previous - 1);
    previous = unit;
  }
  const size = gaps.length;
  if (size + LENGTH_SYMBOLS > 2 ** MAX_CODE_LENGTH) return null;
  // A literal costs about log2 of the alphabet size; matches must beat that.
  const matches = findMatches(units, Math.log2(size + 1));
  const freqs = countTokens(units, matches, high, size);
  for (let unit = low; unit <= high; unit++) {
    if (seen[unit] !== 0) freqs.literal[indexOf[unit] as number] = freqs.unit[unit] as number;
  }
  const literalLengths = codeLengths(freqs.literal, lengthLimit(countUsed(freqs.literal)));
  const distanceLengths = codeLengths(freqs.distance, lengthLimit(countUsed(freqs.distance)));
  const literalCodes = canonicalCodes(literalLengths);
  const distanceCodes = canonicalCodes(distanceLengths);
  // Literal codes by code unit, so the write loop needs no alphabet lookup.
  const unitCodes = new Uint32Array(high + 1);
  const unitLengths = new Uint8Array(high + 1);
  for (let unit = low; unit <= high; unit++) {
    if (seen[unit] === 0) continue;
    unitCodes[unit] = literalCodes[indexOf[unit] as number] as number;
    unitLengths[unit] = literalLengths[indexOf[unit] as number] as number;
  }
  const w = new BitWriter(64);
  writeCodeLengths(w, literalLengths);
  writeCodeLengths(w, distanceLengths);
  writeTokens(w, units, matches, freqs.tokens, {
    size,
    unitCodes,
    unitLengths,
    literalCodes,
    literalLengths,
    distanceCodes,
    distanceLengths,
  });
  const bits = w.finish();
  const result = new Encoder(bits.length + 2 * size + 16);
  writeIntStream(result, Float64Array.from(gaps));
  result.raw(bits);
  return result.finish();
}

/** The text's code units, which occur, and the lowest and highest. */
function scanUnits(text: string): { units: Uint16Array; seen: Uint8Array; low: number; high: number } {
  const n = text.length;
  const units = new Uint16Array(n);
  const seen = new Uint8Array(0x10000);
  let low = 0xffff;
  let high = 0;
  for (let i = 0; i < n; i++) {
    const unit = text.charCodeAt(i);
    units[i] = unit;
    seen[unit] = 1;
    if (unit < low) low = unit;
    if (unit > high) high = unit;
  }
  return { units, seen, low, high };
}

/** Token frequencies: literals by code unit, match lengths (after the alphabet) and distances. */
function countTokens(
  units: Uint16Array,
  matches: Matches,
  high: number,
  size: number,
): { unit: Uint32Array; literal: Uint32Array; distance: Uint32Array; tokens: number } {
  const n = units.length;
  const unit = new Uint32Array(high + 1);
  const literal = new Uint32Array(size + LENGTH_SYMBOLS);
  const distance = new Uint32Array(DISTANCE_SYMBOLS);
  const matchLength = matches.length;
  const matchDistance = matches.distance;
  let tokens = 0;
  for (let i = 0; i < n; tokens++) {
    const length = matchLength[i] as number;
    if (length === 0) {
      const u = units[i++] as number;
      unit[u] = (unit[u] as number) + 1;
      continue;
    }
    const ls = size + bucketOf(length - MIN_MATCH);
    literal[ls] = (literal[ls] as number) + 1;
    const ds = bucketOf((matchDistance[i] as number) - 1);
    distance[ds] = (distance[ds] as number) + 1;
    i += length;
  }
  return { unit, literal, distance, tokens };
}

interface TokenCodes {
  readonly size: number;
  readonly unitCodes: Uint32Array;
  readonly unitLengths: Uint8Array;
  readonly literalCodes: Uint32Array;
  readonly literalLengths: Uint8Array;
  readonly distanceCodes: Uint32Array;
  readonly distanceLengths: Uint8Array;
}

/** Write every token, bits inline (see BitWriter). */
function writeTokens(
  w: BitWriter,
  units: Uint16Array,
  matches: Matches,
  tokens: number,
  codes: TokenCodes,
): void {
  const n = units.length;
  const { size, unitCodes, unitLengths, literalCodes, literalLengths, distanceCodes, distanceLengths } =
    codes;
  const matchLength = matches.length;
  const matchDistance = matches.distance;
  // At most 15 + 5 bits for a match length and 15 + 22 for its distance: 8 bytes a token.
  w.reserve(tokens * 8 + 8);
  const out = w.out;
  let pos = w.pos;
  let acc = w.acc;
  let have = w.count;
  for (let i = 0; i < n; ) {
    const length = matchLength[i] as number;
    if (length === 0) {
      const unit = units[i++] as number;
      acc |= (unitCodes[unit] as number) << have;
      have += unitLengths[unit] as number;
      while (have >= 8) {
        out[pos++] = acc & 0xff;
        acc >>>= 8;
        have -= 8;
      }
      continue;
    }
    // Length: code and up to 5 extra bits.
    const lengthValue = length - MIN_MATCH;
    const lb = bucketOf(lengthValue);
    acc |= (literalCodes[size + lb] as number) << have;
    have += literalLengths[size + lb] as number;
    while (have >= 8) {
      out[pos++] = acc & 0xff;
      acc >>>= 8;
      have -= 8;
    }
    if (lb >= DIRECT) {
      acc |= (lengthValue - bucketBase(lb)) << have;
      have += extraBitsOf(lb);
    }
    // Distance: code, then up to 22 extra bits, in parts of at most 11.
    const distanceValue = (matchDistance[i] as number) - 1;
    const db = bucketOf(distanceValue);
    while (have >= 8) {
      out[pos++] = acc & 0xff;
      acc >>>= 8;
      have -= 8;
    }
    acc |= (distanceCodes[db] as number) << have;
    have += distanceLengths[db] as number;
    while (have >= 8) {
      out[pos++] = acc & 0xff;
      acc >>>= 8;
      have -= 8;
    }
    if (db >= DIRECT) {
      let value = distanceValue - bucketBase(db);
      for (let left = extraBitsOf(db); left > 0; ) {
        const take = Math.min(left, 11);
        acc |= (value & ((1 << take) - 1)) << have;
        have += take;
        value >>>= take;
        left -= take;
        while (have >= 8) {
          out[pos++] = acc & 0xff;
          acc >>>= 8;
          have -= 8;
        }
      }
    }
    i += length;
  }
  w.pos = pos;
  w.acc = acc;
  w.count = have;
}

function countUsed(freqs: Uint32Array): number {
  let used = 0;
  for (let k = 0; k < freqs.length; k++) if ((freqs[k] as number) > 0) used++;
  return used;
}
