import type { Decoder, Encoder } from '../encoding.ts';
import { BitWriter, codeFailure } from './bits.ts';
import { BUCKET_SYMBOLS, bucketBase, bucketOf, DIRECT, extraBitsOf } from './buckets.ts';
import {
  canonicalCodes,
  codeLengths,
  decodeTable,
  lengthLimit,
  readCodeLengths,
  writeCodeLengths,
} from './huffman.ts';

/**
 * A column of non-negative safe integers (Automerge's columnar idea: one kind of value per stream,
 * so its statistics are its own):
 *
 *   count (varint), then, if count > 0, a mode byte:
 *     0 (plain)   count LEB128 varints;
 *     1 (entropy) a bit stream: the code lengths of a Huffman code over the token alphabet, then
 *                 the tokens, ending at a byte boundary (zero padding).
 *   tokens: a value's bucket symbol (see buckets.ts) and its extra bits, or a run symbol, "the
 *           previous value k more times" (k = 1 … MAX_RUN, bucketed the same way), so a constant
 *           column costs a few bytes however long it is.
 *
 * The encoder writes whichever mode is smaller. A token takes at least one bit and stands for at
 * most MAX_RUN values, so a decoder bounds `count` by the bits that remain before allocating.
 */

const PLAIN = 0;
const ENTROPY = 1;
/** Longest run one token stands for. */
const MAX_RUN = 256;
const RUN_BASE = BUCKET_SYMBOLS;
const ALPHABET = RUN_BASE + bucketOf(MAX_RUN - 1) + 1;

export function writeIntStream(e: Encoder, values: Float64Array): void {
  const count = values.length;
  e.uint(count);
  if (count === 0) return;
  const { bytes, plain } = entropyBytes(values);
  if (bytes.length < plain) {
    e.byte(ENTROPY);
    e.raw(bytes);
  } else {
    e.byte(PLAIN);
    for (let i = 0; i < count; i++) e.uint(values[i] as number);
  }
}

/** Read a column written by `writeIntStream`; each value is at most `max`. */
// biome-ignore format: the parentheses make V8 compile it with the module (a cold decode path)
export const readIntStream = (function readIntStream(
  d: Decoder,
  max = Number.MAX_SAFE_INTEGER,
): Float64Array {
  const count = d.uint();
  if (count === 0) return new Float64Array(0);
  const mode = d.byte();
  if (mode === PLAIN) {
    if (count > d.remaining) d.fail(`column of ${count} values exceeds the remaining input`);
    const values = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const value = d.uint();
      if (value > max) d.fail(`column value ${value} above ${max}`);
      values[i] = value;
    }
    return values;
  }
  if (mode !== ENTROPY) d.fail(`unknown column mode ${mode}`);
  if (count > d.remaining * 8 * MAX_RUN) d.fail(`column of ${count} values exceeds the remaining input`);
  const r = d.bits();
  const fail = r.fail;
  const { table, bits } = decodeTable(readCodeLengths(r, ALPHABET, fail), fail);
  const values = new Float64Array(count);
  // The bit reader's state in locals, read inline (see BitReader).
  const buf = r.buf;
  const end = r.end;
  const mask = (1 << bits) - 1;
  let acc = r.acc;
  let have = r.count;
  let pos = r.pos;
  let previous = -1;
  for (let i = 0; i < count; ) {
    while (have <= 16 && pos < end) {
      acc |= (buf[pos++] as number) << have;
      have += 8;
    }
    const entry = table[acc & mask] as number;
    const length = entry & 31;
    if (length > have) fail(codeFailure(length));
    acc >>>= length;
    have -= length;
    let symbol = entry >> 5;
    const isRun = symbol >= RUN_BASE;
    if (isRun) symbol -= RUN_BASE;
    let value = symbol;
    if (symbol >= DIRECT) {
      const extra = extraBitsOf(symbol);
      if (extra <= 16) {
        while (have <= 16 && pos < end) {
          acc |= (buf[pos++] as number) << have;
          have += 8;
        }
        if (have < extra) fail('bit stream ends early');
        value = ((2 | (symbol & 1)) << extra) + (acc & ((1 << extra) - 1));
        acc >>>= extra;
        have -= extra;
      } else {
        r.acc = acc;
        r.count = have;
        r.pos = pos;
        value = bucketBase(symbol) + r.readLong(extra);
        acc = r.acc;
        have = r.count;
        pos = r.pos;
      }
    }
    if (!isRun) {
      if (value > max) fail(`column value ${value} above ${max}`);
      previous = value;
      values[i++] = value;
      continue;
    }
    const run = value + 1;
    if (previous < 0) fail('column run with no value before it');
    if (run > MAX_RUN || i + run > count) fail('column run past its end');
    values.fill(previous, i, i + run);
    i += run;
  }
  r.acc = acc;
  r.count = have;
  r.pos = pos;
  d.endBits(r);
  return values;
});

/**
 * The entropy mode's bit stream for `values`, and the size of the plain mode. Two passes, each its
 * own function (see text-stream.ts's compress): tokens with their frequencies and the plain size,
 * then the bits.
 */
function entropyBytes(values: Float64Array): { bytes: Uint8Array; plain: number } {
  const tokens = tokenize(values);
  let used = 0;
  for (let k = 0; k < ALPHABET; k++) if ((tokens.freqs[k] as number) > 0) used++;
  const lengths = codeLengths(tokens.freqs, lengthLimit(used));
  const codes = canonicalCodes(lengths);
  const w = new BitWriter(64);
  writeCodeLengths(w, lengths);
  writeTokens(w, tokens, codes, lengths);
  return { bytes: w.finish(), plain: tokens.plain };
}

interface Tokens {
  /** Symbol per token. */
  readonly symbols: Int32Array;
  /** Extra bits per token (0 for a symbol that is its own value), and their value. */
  readonly extra: Uint8Array;
  readonly payload: Float64Array;
  readonly count: number;
  readonly freqs: Uint32Array;
  /** Bytes of the plain mode. */
  readonly plain: number;
}

/**
 * The tokens, their extra bits worked out here so the write pass is table lookups and shifts. The
 * bucket arithmetic of buckets.ts is inline for values below 2^31 (every column's but for documents
 * of billions of characters): this loop runs cold, once a save, where a call costs more than the
 * arithmetic.
 */
function tokenize(values: Float64Array): Tokens {
  const count = values.length;
  const symbols = new Int32Array(count);
  const extra = new Uint8Array(count);
  const payload = new Float64Array(count);
  const freqs = new Uint32Array(ALPHABET);
  let tokens = 0;
  let plain = 0;
  for (let i = 0; i < count; ) {
    const value = values[i] as number;
    let symbol = value;
    let bits = 0;
    let offset = 0;
    if (value >= DIRECT) {
      if (value < 0x80000000) {
        const top = 31 - Math.clz32(value);
        const half = (value >>> (top - 1)) & 1;
        symbol = DIRECT + 2 * (top - 4) + half;
        bits = top - 1;
        offset = value - ((2 | half) << (top - 1));
      } else {
        symbol = bucketOf(value);
        bits = extraBitsOf(symbol);
        offset = value - bucketBase(symbol);
      }
    }
    symbols[tokens] = symbol;
    extra[tokens] = bits;
    payload[tokens++] = offset;
    freqs[symbol] = (freqs[symbol] as number) + 1;
    let run = 1;
    while (i + run < count && values[i + run] === value) run++;
    i += run;
    plain += run * (value < 0x80 ? 1 : value < 0x4000 ? 2 : varintSize(value));
    run--;
    // Runs of one are cheaper as the value again.
    while (run > 0) {
      if (run === 1) {
        symbols[tokens] = symbol;
        extra[tokens] = bits;
        payload[tokens++] = offset;
        freqs[symbol] = (freqs[symbol] as number) + 1;
        break;
      }
      const take = Math.min(run, MAX_RUN);
      // take - 1 < MAX_RUN = 2^8: the bucket arithmetic above, for a value below 2^8.
      const k = take - 1;
      let runSymbol = RUN_BASE + k;
      let runBits = 0;
      let runOffset = 0;
      if (k >= DIRECT) {
        const top = 31 - Math.clz32(k);
        const half = (k >>> (top - 1)) & 1;
        runSymbol = RUN_BASE + DIRECT + 2 * (top - 4) + half;
        runBits = top - 1;
        runOffset = k - ((2 | half) << (top - 1));
      }
      symbols[tokens] = runSymbol;
      extra[tokens] = runBits;
      payload[tokens++] = runOffset;
      freqs[runSymbol] = (freqs[runSymbol] as number) + 1;
      run -= take;
    }
  }
  return { symbols, extra, payload, count: tokens, freqs, plain };
}

/** Write the tokens, bits inline (see BitWriter). */
function writeTokens(w: BitWriter, tokens: Tokens, codes: Uint32Array, lengths: Uint8Array): void {
  const { symbols, extra, payload, count } = tokens;
  // At most 15 code bits and 52 extra bits a token.
  w.reserve(count * 9 + 8);
  let out = w.out;
  let pos = w.pos;
  let acc = w.acc;
  let have = w.count;
  for (let t = 0; t < count; t++) {
    const symbol = symbols[t] as number;
    acc |= (codes[symbol] as number) << have;
    have += lengths[symbol] as number;
    while (have >= 8) {
      out[pos++] = acc & 0xff;
      acc >>>= 8;
      have -= 8;
    }
    const bits = extra[t] as number;
    if (bits === 0) continue;
    if (bits <= 16) {
      acc |= (payload[t] as number) << have;
      have += bits;
      while (have >= 8) {
        out[pos++] = acc & 0xff;
        acc >>>= 8;
        have -= 8;
      }
    } else {
      w.pos = pos;
      w.acc = acc;
      w.count = have;
      w.writeLong(payload[t] as number, bits);
      out = w.out;
      pos = w.pos;
      acc = w.acc;
      have = w.count;
    }
  }
  w.pos = pos;
  w.acc = acc;
  w.count = have;
}

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}
