import { type Decoder, Encoder } from '../encoding.ts';
import { readText, writeText } from '../rga/wtf8.ts';
import { BitWriter } from './bits.ts';
import { bucketOf, bucketsFor, readBucket, writeExtra } from './buckets.ts';
import {
  canonicalCodes,
  codeLengths,
  decodeTable,
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
  const fail = (message: string): never => d.fail(message);
  const literals = decodeTable(readCodeLengths(r, size + LENGTH_SYMBOLS, fail), fail);
  const distances = decodeTable(readCodeLengths(r, DISTANCE_SYMBOLS, fail), fail);
  const units = new Uint16Array(n);
  for (let at = 0; at < n; ) {
    const symbol = r.symbol(literals.table, literals.bits);
    if (symbol < size) {
      units[at++] = alphabet[symbol] as number;
      continue;
    }
    const length = readBucket(r, symbol - size) + MIN_MATCH;
    const distance = readBucket(r, r.symbol(distances.table, distances.bits)) + 1;
    if (distance > at) d.fail('match reaches before the text');
    if (at + length > n) d.fail('match runs past the text');
    if (distance >= length) units.copyWithin(at, at - distance, at - distance + length);
    else for (let k = 0; k < length; k++) units[at + k] = units[at + k - distance] as number;
    at += length;
  }
  d.endBits(r);
  let text = '';
  for (let at = 0; at < n; at += CHUNK) {
    text += String.fromCharCode.apply(null, units.subarray(at, at + CHUNK) as unknown as number[]);
  }
  return text;
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
  const literalLengths = codeLengths(literalFreqs, MAX_CODE_LENGTH);
  const distanceLengths = codeLengths(distanceFreqs, MAX_CODE_LENGTH);
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
