import { type Decoder, Encoder } from '../encoding.ts';
import { readText, writeText, wtf8Length } from '../rga/wtf8.ts';
import { type BitReader, BitWriter, codeFailure } from './bits.ts';
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

/**
 * A string, Huffman-coded over its own alphabet of UTF-16 code units, so text in any script is
 * coded per character (26 CJK ideographs cost log2(26) bits each, not three UTF-8 bytes' worth) and
 * lone surrogates need no special case:
 *
 *   length in code units (varint), then, if length > 0, a mode byte:
 *     0 (plain)      the text as length-prefixed WTF-8 (see wtf8.ts);
 *     1 (compressed) the alphabet: its code units in ascending order as an int column of gaps
 *                    (first unit, then each minus the one before minus one); then a bit stream:
 *                    the code lengths of a Huffman code over the alphabet, then each code unit's
 *                    code, ending at a byte boundary (zero padding).
 *
 * The encoder writes whichever mode is smaller. A code takes at least one bit, so a decoder bounds
 * `length` by the bits that remain before allocating.
 *
 * No LZ77: matches made the traces' text 22-57% smaller but the cold encode 1.5-1.8 times as slow
 * and the cold decode slower too, since a match costs a decoder several times a literal and the
 * first one met throws away the optimized code of a loop that had seen only literals (see the
 * bench README).
 */

const PLAIN = 0;
const COMPRESSED = 1;
/** Longest string a decoder builds (V8's string limit is about 2^29). */
const MAX_LENGTH = 2 ** 29 - 24;
/** Units decoded per String.fromCharCode call. */
const CHUNK = 8192;

/**
 * `nativeAscii: false` scans every text unit by unit, as non-ASCII text always is; the bytes are the
 * same either way (tests compare the two).
 */
export function writeTextStream(e: Encoder, text: string, nativeAscii = true): void {
  const n = text.length;
  e.uint(n);
  if (n === 0) return;
  const compressed = n >= 16 ? compress(text, nativeAscii) : null;
  // The plain mode's size: at least the WTF-8 bytes, which are at least one per code unit.
  if (compressed !== null && (compressed.length < n || compressed.length < wtf8Length(text))) {
    e.byte(COMPRESSED);
    e.raw(compressed);
  } else {
    e.byte(PLAIN);
    writeText(e, text);
  }
}

// biome-ignore format: the parentheses make V8 compile it with the module (a cold decode path)
export const readTextStream = (function readTextStream(d: Decoder): string {
  const n = d.uint();
  if (n === 0) return '';
  const mode = d.byte();
  if (mode === PLAIN) {
    const text = readText(d);
    if (text.length !== n) d.fail(`text has ${text.length} code units, its header says ${n}`);
    return text;
  }
  if (mode !== COMPRESSED) d.fail(`unknown text mode ${mode}`);
  if (n > MAX_LENGTH || n > d.remaining * 8) d.fail(`text of ${n} units exceeds the input`);
  const gaps = readIntStream(d, 0xffff);
  const size = gaps.length;
  if (size === 0) d.fail('empty alphabet');
  const alphabet = new Int32Array(size);
  let unit = -1;
  for (let i = 0; i < size; i++) {
    unit += (gaps[i] as number) + 1;
    if (unit > 0xffff) d.fail('alphabet beyond UTF-16 code units');
    alphabet[i] = unit;
  }
  const r = d.bits();
  // Table entries hold the code unit itself.
  const codes = decodeTable(readCodeLengths(r, size, r.fail), r.fail, alphabet);
  // ASCII text (every trace) decodes into bytes and becomes a one-byte string natively.
  const ascii = (alphabet[size - 1] as number) < 0x80;
  const units = ascii ? new Uint8Array(n) : new Uint16Array(n);
  decodeUnits(r, units, codes);
  d.endBits(r);
  if (ascii) return asciiDecoder.decode(units);
  // Without surrogate code units there are no lone ones, and UTF-16 decoding is exact.
  if ((alphabet[size - 1] as number) < 0xd800 || (alphabet[0] as number) > 0xdfff) {
    return utf16Decoder.decode(units);
  }
  let text = '';
  for (let at = 0; at < n; at += CHUNK) {
    text += String.fromCharCode.apply(null, units.subarray(at, at + CHUNK) as unknown as number[]);
  }
  return text;
});

const asciiDecoder = new TextDecoder('utf-8');
const utf16Decoder = new TextDecoder('utf-16le');

/** The code loop: one code unit per code until `units` is full, bits read inline (see BitReader). */
// biome-ignore format: the parentheses make V8 compile it with the module (a cold decode path)
const decodeUnits = (function decodeUnits(
  r: BitReader,
  units: Uint8Array | Uint16Array,
  codes: DecodeTable,
): void {
  const fail = r.fail;
  const n = units.length;
  const buf = r.buf;
  const end = r.end;
  const table = codes.table;
  const mask = (1 << codes.bits) - 1;
  let acc = r.acc;
  let have = r.count;
  let pos = r.pos;
  for (let at = 0; at < n; at++) {
    // Two bytes at a time while they last (half the refills of a byte loop, which is most of a cold
    // loop's steps): at least 15 bits held, the longest code. At most 30 after (`have` < 15 before),
    // so `acc` stays below 2^31 and a pattern no code starts with (length NO_CODE = 31) is always
    // more than is held: with 31 held it would pass for a character.
    if (have < 15) {
      if (pos + 1 < end) {
        acc |= ((buf[pos] as number) | ((buf[pos + 1] as number) << 8)) << have;
        pos += 2;
        have += 16;
      } else {
        while (have <= 16 && pos < end) {
          acc |= (buf[pos++] as number) << have;
          have += 8;
        }
      }
    }
    const entry = table[acc & mask] as number;
    const length = entry & 31;
    if (length > have) fail(codeFailure(length));
    acc >>>= length;
    have -= length;
    units[at] = entry >> 5;
  }
  r.acc = acc;
  r.count = have;
  r.pos = pos;
});

/**
 * The compressed mode's bytes, or null when the alphabet is too large for the code lengths. One
 * function per pass over the text: a snapshot is encoded cold, and an optimizing compile started in
 * one loop of a long function is thrown away on reaching the next loop, which it knows nothing of.
 */
function compress(text: string, nativeAscii: boolean): Uint8Array | null {
  const { units, freqs, low, high } = scanUnits(text, nativeAscii);
  // The alphabet (the units that occur, ascending) and each one's code.
  const gaps: number[] = [];
  const used: number[] = [];
  let previous = -1;
  for (let unit = low; unit <= high; unit++) {
    if (freqs[unit] === 0) continue;
    gaps.push(unit - previous - 1);
    used.push(unit);
    previous = unit;
  }
  const size = used.length;
  if (size > 2 ** MAX_CODE_LENGTH) return null;
  const alphabetFreqs = new Uint32Array(size);
  for (let k = 0; k < size; k++) alphabetFreqs[k] = freqs[used[k] as number] as number;
  const lengths = codeLengths(alphabetFreqs, lengthLimit(size));
  const codes = canonicalCodes(lengths);
  // Codes and lengths by code unit, so the write loop needs no alphabet lookup.
  const unitCodes = new Uint32Array(high + 1);
  const unitLengths = new Uint8Array(high + 1);
  for (let k = 0; k < size; k++) {
    unitCodes[used[k] as number] = codes[k] as number;
    unitLengths[used[k] as number] = lengths[k] as number;
  }
  const w = new BitWriter(64);
  writeCodeLengths(w, lengths);
  writeUnits(w, units, unitCodes, unitLengths);
  const bits = w.finish();
  const result = new Encoder(bits.length + 2 * size + 16);
  writeIntStream(result, Float64Array.from(gaps));
  result.raw(bits);
  return result.finish();
}

/** The text's code units, how often each occurs, and the lowest and highest. */
function scanUnits(
  text: string,
  nativeAscii: boolean,
): {
  units: Uint8Array | Uint16Array;
  freqs: Uint32Array;
  low: number;
  high: number;
} {
  const n = text.length;
  // ASCII text (every trace) as bytes, copied natively: no charCodeAt call per unit while cold.
  // The n bytes hold all n units only if each took one byte, i.e. all are ASCII.
  const bytes = nativeAscii ? new Uint8Array(n) : null;
  if (bytes !== null && asciiEncoder.encodeInto(text, bytes).read === n) {
    const freqs = countBytes(bytes);
    let low = 0;
    while (freqs[low] === 0) low++;
    let high = 0x7f;
    while (freqs[high] === 0) high--;
    return { units: bytes, freqs, low, high };
  }
  const units = new Uint16Array(n);
  const freqs = new Uint32Array(0x10000);
  let low = 0xffff;
  let high = 0;
  for (let i = 0; i < n; i++) {
    const unit = text.charCodeAt(i);
    units[i] = unit;
    freqs[unit] = (freqs[unit] as number) + 1;
    if (unit < low) low = unit;
    if (unit > high) high = unit;
  }
  return { units, freqs, low, high };
}

const asciiEncoder = new TextEncoder();

/** How often each byte value below 0x80 occurs in ASCII bytes. */
function countBytes(bytes: Uint8Array): Uint32Array {
  const freqs = new Uint32Array(0x80);
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    const unit = bytes[i] as number;
    freqs[unit] = (freqs[unit] as number) + 1;
  }
  return freqs;
}

/** Write each unit's code, bits inline (see BitWriter). */
function writeUnits(
  w: BitWriter,
  units: Uint8Array | Uint16Array,
  codes: Uint32Array,
  lengths: Uint8Array,
): void {
  const n = units.length;
  // At most 15 bits a unit.
  w.reserve(2 * n + 8);
  const out = w.out;
  let pos = w.pos;
  let acc = w.acc;
  let have = w.count;
  for (let i = 0; i < n; i++) {
    const unit = units[i] as number;
    acc |= (codes[unit] as number) << have;
    have += lengths[unit] as number;
    while (have >= 8) {
      out[pos++] = acc & 0xff;
      acc >>>= 8;
      have -= 8;
    }
  }
  w.pos = pos;
  w.acc = acc;
  w.count = have;
}
