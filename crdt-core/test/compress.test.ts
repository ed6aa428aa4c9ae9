// The entropy coding under the RGA formats: Huffman codes, int columns and compressed text round-trip
// exactly, stay within their limits, and reject corrupt input with a DecodeError.
import { DecodeError, Decoder, Encoder, SeededRandom } from '@converge/crdt-core';
import { budget, fuzzDecoder, testSeed } from '@converge/crdt-core/testing';
import { describe, expect, it } from 'vitest';
import { BitReader, BitWriter } from '../src/compress/bits.ts';
import { bucketBase, bucketOf, DIRECT, extraBitsOf } from '../src/compress/buckets.ts';
import { codeLengths, decodeTable } from '../src/compress/huffman.ts';
import { readIntStream, writeIntStream } from '../src/compress/int-stream.ts';
import { readTextStream, writeTextStream } from '../src/compress/text-stream.ts';

const fail = (message: string): never => {
  throw new DecodeError(message, 0);
};

function intRoundTrip(values: readonly number[]): Uint8Array {
  const e = new Encoder();
  writeIntStream(e, Float64Array.from(values));
  const bytes = e.finish();
  const d = new Decoder(bytes);
  expect([...readIntStream(d)]).toEqual(values);
  d.end();
  return bytes;
}

function textRoundTrip(text: string): Uint8Array {
  const e = new Encoder();
  writeTextStream(e, text);
  const bytes = e.finish();
  const d = new Decoder(bytes);
  expect(readTextStream(d) === text).toBe(true);
  d.end();
  return bytes;
}

describe('entropy coding', () => {
  it('reads a text stream up to its last byte, whatever follows it (the decoder reads ahead)', () => {
    const seed = testSeed();
    const rng = new SeededRandom(seed);
    for (let round = 0; round < 200; round++) {
      const text = Array.from({ length: rng.int(16, 90) }, () => rng.pick([...'etaoin shrdlu,.Q'])).join('');
      const e = new Encoder();
      writeTextStream(e, text);
      const after = rng.int(0, 4);
      for (let i = 0; i < after; i++) e.byte(0xff);
      const d = new Decoder(e.finish());
      expect(readTextStream(d), `seed ${seed}`).toBe(text);
      expect(d.remaining, `seed ${seed}`).toBe(after);
    }
  });

  it('rejects a bit pattern no code starts with wherever it falls, however many bits are held', () => {
    // One symbol: its code is one bit, 0; a 1 starts no code. The code loop holds 16 to 31 bits
    // at a time, so a 1 in some code position meets each number of bits held; bytes of zeros
    // (valid codes) follow the stream, so an invalid code taken as a character would not run out.
    const e = new Encoder();
    writeTextStream(e, 'a'.repeat(400));
    const stream = e.finish();
    // The 400 codes end the stream (then up to 7 bits of padding), so all but its last byte of
    // the last 50 bytes hold codes only.
    const first = stream.length - 50;
    for (let bit = 0; bit < 49 * 8; bit++) {
      const bytes = new Uint8Array(stream.length + 64);
      bytes.set(stream);
      const at = first + (bit >> 3);
      expect(bytes[at], 'a code byte').toBe(0);
      bytes[at] = 1 << (bit & 7);
      expect(() => readTextStream(new Decoder(bytes)), `bit ${bit}`).toThrow(DecodeError);
    }
  });

  it('writes and reads bit fields of every width, up to 53 bits', () => {
    const rng = new SeededRandom(testSeed());
    const fields: [number, number][] = [];
    const w = new BitWriter(4);
    for (let i = 0; i < 2000; i++) {
      const bits = rng.int(0, 53);
      const value = bits === 0 ? 0 : Math.floor(rng.next() * 2 ** bits);
      fields.push([value, bits]);
      w.writeLong(value, bits);
    }
    const bytes = w.finish();
    const r = new BitReader(bytes, 0, bytes.length, fail);
    for (const [value, bits] of fields) expect(r.readLong(bits)).toBe(value);
    expect(r.paddingIsZero()).toBe(true);
    expect(r.endOffset).toBe(bytes.length);
    expect(() => r.read(9)).toThrow(/ends early/);
  });

  it('buckets every safe integer: its bucket starts at or below it and its extra bits reach it', () => {
    const values = [
      0,
      1,
      15,
      16,
      23,
      24,
      31,
      32,
      1000,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 32 + 5,
      2 ** 52,
      2 ** 53 - 1,
    ];
    for (const v of values) {
      const symbol = bucketOf(v);
      if (symbol < DIRECT) expect(symbol).toBe(v);
      else {
        expect(bucketBase(symbol)).toBeLessThanOrEqual(v);
        expect(v - bucketBase(symbol)).toBeLessThan(2 ** extraBitsOf(symbol));
        if (symbol > DIRECT) {
          expect(bucketBase(symbol - 1) + 2 ** extraBitsOf(symbol - 1)).toBe(bucketBase(symbol));
        }
      }
    }
    expect(bucketOf(2 ** 53 - 1)).toBe(113);
  });

  it('limits code lengths and keeps them a prefix code, even for Fibonacci frequencies', () => {
    const freqs = [1, 1];
    while (freqs.length < 40)
      freqs.push((freqs[freqs.length - 1] as number) + (freqs[freqs.length - 2] as number));
    const lengths = codeLengths(freqs, 15);
    expect(Math.max(...lengths)).toBe(15);
    expect(lengths.every((len) => len >= 1)).toBe(true);
    expect([...lengths].reduce((kraft, len) => kraft + 2 ** -len, 0)).toBeLessThanOrEqual(1);
    // The most frequent symbol gets the shortest code.
    expect(lengths[39]).toBe(Math.min(...lengths));
    expect(() => decodeTable(Uint8Array.from([1, 1, 1]), fail)).toThrow(/over-subscribed/);
    expect(codeLengths([0, 7, 0], 15)).toEqual(Uint8Array.from([0, 1, 0]));
  });

  it('round-trips int columns: empty, constant, random, runs, huge values', () => {
    const rng = new SeededRandom(testSeed());
    expect(intRoundTrip([])).toEqual(Uint8Array.from([0]));
    intRoundTrip([7]);
    const constant = intRoundTrip(new Array(100_000).fill(3));
    expect(constant.length).toBeLessThan(100_000 / 256 + 40); // a run of 256 costs a few bits
    intRoundTrip(Array.from({ length: 5000 }, () => rng.int(0, 40)));
    intRoundTrip(
      Array.from({ length: 3000 }, () => (rng.chance(0.5) ? 2 ** 53 - 1 - rng.int(0, 9) : rng.int(0, 3))),
    );
    intRoundTrip(Array.from({ length: 3000 }, (_, i) => Math.floor(i / 10)));
  });

  it('compresses text per character in any script and round-trips any string', () => {
    const rng = new SeededRandom(testSeed());
    const cjk = Array.from({ length: 6000 }, () => String.fromCharCode(0x4e00 + rng.int(0, 25))).join('');
    // 26 letters: about log2(26) = 4.7 bits each, far below their 3 UTF-8 bytes.
    expect(textRoundTrip(cjk).length).toBeLessThan((6000 * 4.8) / 8 + 100);
    const prose = 'the quick brown fox jumps over the lazy dog. '.repeat(400);
    // 18,000 characters of 28 kinds, most of them letters seen about as often: near 4.5 bits each.
    expect(textRoundTrip(prose).length).toBeLessThan((prose.length * 4.6) / 8);
    textRoundTrip('');
    textRoundTrip('x');
    textRoundTrip('a😀b\ud800c\udc00'); // lone surrogates survive
    textRoundTrip(`${'ab'.repeat(20)}\ud83d`); // compressed mode with a lone surrogate
    // More distinct code units than a code can number: stored plain.
    textRoundTrip(Array.from({ length: 40_000 }, (_, i) => String.fromCharCode(i)).join(''));
    textRoundTrip(Array.from({ length: 3000 }, () => String.fromCharCode(rng.int(0, 0xffff))).join(''));
  });

  it('writes ASCII text copied natively byte for byte as the unit-by-unit scan writes it', () => {
    const seed = testSeed();
    const rng = new SeededRandom(seed);
    const both = (text: string): void => {
      const native = new Encoder();
      writeTextStream(native, text);
      const scanned = new Encoder();
      writeTextStream(scanned, text, false);
      expect(native.finish(), `seed ${seed}, text of ${text.length}`).toEqual(scanned.finish());
    };
    for (let round = 0; round < budget(200, 2000); round++) {
      // Alphabets from 1 to 128 ASCII units, skewed and flat, lengths around the compressed mode's 16.
      const size = rng.int(1, 128);
      const low = rng.int(0, 128 - size);
      const skew = rng.chance(0.5);
      const length = rng.chance(0.3) ? rng.int(0, 40) : rng.int(16, 5000);
      const units: number[] = [];
      for (let i = 0; i < length; i++) {
        const k = skew ? Math.floor(size * rng.next() ** 3) : rng.int(0, size - 1);
        units.push(low + k);
      }
      const ascii = String.fromCharCode(...units);
      both(ascii);
      // One unit past ASCII anywhere (a lone surrogate, a pair, Latin-1) takes the unit-by-unit path.
      if (length > 0) {
        const at = rng.int(0, length - 1);
        const odd = ['\u00e9', '\ud800', '\udfff', '😀', '\u0080', '\uffff'][rng.int(0, 5)] as string;
        both(ascii.slice(0, at) + odd + ascii.slice(at));
        both(ascii + odd);
      }
    }
    // Every ASCII unit, the control characters and NUL included.
    both(Array.from({ length: 4096 }, (_, i) => String.fromCharCode(i % 128)).join(''));
  });

  it('rejects corrupt columns and text with a DecodeError, never another error', () => {
    const rng = new SeededRandom(3);
    const whole =
      <T>(read: (d: Decoder) => T) =>
      (bytes: Uint8Array): T => {
        const d = new Decoder(bytes);
        const value = read(d);
        d.end();
        return value;
      };
    const columns = fuzzDecoder(
      'int column',
      whole((d) => [...readIntStream(d)]),
      [
        intRoundTrip(Array.from({ length: 300 }, () => rng.int(0, 1000))),
        intRoundTrip(new Array(500).fill(9)),
        intRoundTrip([1, 2, 3]),
      ],
      { cases: budget(1000, 30_000), seed: testSeed() },
    );
    const texts = fuzzDecoder(
      'text stream',
      whole(readTextStream),
      [
        textRoundTrip('hello hello hello world, hello again'.repeat(3)),
        textRoundTrip(
          Array.from({ length: 200 }, () => String.fromCharCode(0x4e00 + rng.int(0, 25))).join(''),
        ),
        textRoundTrip('short'),
      ],
      { cases: budget(1000, 30_000), seed: testSeed() },
    );
    expect(columns.rejected).toBeGreaterThan(0);
    expect(texts.rejected).toBeGreaterThan(0);
  });
});
