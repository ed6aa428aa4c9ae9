/**
 * Binary encoding primitives shared by every codec in crdt-core.
 *
 * Every encoded value starts with a header: the magic bytes "CV", a format version and a type tag,
 * so a decoder can refuse bytes meant for another type or a newer format. Integers are LEB128
 * varints (signed ones zigzag-encoded). Decoders never trust a length before checking it against
 * the bytes that remain, so corrupt input cannot make them allocate or loop more than the input
 * justifies; every failure is a `DecodeError`.
 */

import { BitReader } from './compress/bits.ts';

/** First magic byte of every format 1 header: 'C'. */
export const MAGIC_0 = 0x43;
/** Second magic byte of every format 1 header: 'V'. */
export const MAGIC_1 = 0x56;
/** Format version in every format 1 header; decoders refuse any other. */
export const FORMAT_VERSION = 1;
/**
 * Format 2 values (RGA updates and snapshots) start with a single byte, this bit set and the type
 * tag in the low seven bits, instead of format 1's four bytes: a keystroke's update is a dozen bytes,
 * three of them would be header. Format 1 values start with 'C' (0x43), so the two never collide.
 */
export const COMPACT_HEADER = 0x80;

/** Type tags in the header. Add new tags at the end; never reuse one. */
export const TypeTag = {
  VersionVector: 1,
  GCounter: 2,
  PNCounter: 3,
  OrSet: 4,
  Cart: 5,
  LwwRegister: 6,
  MvRegister: 7,
  GCounterOp: 8,
  PNCounterOp: 9,
  OrSetOp: 10,
  CartOp: 11,
  LwwRegisterOp: 12,
  MvRegisterOp: 13,
  RgaDocument: 14,
  RgaUpdate: 15,
  HybridTimestamp: 16,
  /** 17 and 18 are the converge engine's workspace formats (in @converge/replica); never reuse them. */
  WorkspaceOps: 17,
  WorkspaceSnapshot: 18,
  /** An RGA document saved incrementally: a snapshot and the operations since (rga/saved.ts). */
  RgaSaved: 19,
} as const;
export type TypeTag = (typeof TypeTag)[keyof typeof TypeTag];

/** Thrown for any input a decoder cannot accept: truncated, oversized, corrupt or of the wrong type. */
export class DecodeError extends Error {
  /** Always 'DecodeError', so the error is recognisable after crossing a realm or a structured clone. */
  override readonly name = 'DecodeError';
  constructor(
    message: string,
    /** Where in the input the decoder was when it gave up. */
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
  }
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** Growable byte buffer with varint writers. */
export class Encoder {
  private buf: Uint8Array;
  private pos = 0;

  /** `initialCapacity` bytes are allocated up front; the buffer doubles as needed. */
  constructor(initialCapacity = 64) {
    this.buf = new Uint8Array(initialCapacity);
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + extra) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** Write the header: magic bytes, format version, then `tag`. */
  header(tag: TypeTag): this {
    this.ensure(3);
    this.buf[this.pos++] = MAGIC_0;
    this.buf[this.pos++] = MAGIC_1;
    this.buf[this.pos++] = FORMAT_VERSION;
    return this.uint(tag);
  }

  /** The one-byte header of a format 2 value (see COMPACT_HEADER). */
  compactHeader(tag: TypeTag): this {
    return this.byte(COMPACT_HEADER | tag);
  }

  /** Write one byte (the low 8 bits of `value`). */
  byte(value: number): this {
    this.ensure(1);
    this.buf[this.pos++] = value & 0xff;
    return this;
  }

  /** Unsigned LEB128 of a non-negative safe integer. */
  uint(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`cannot encode ${value} as an unsigned varint`);
    }
    this.ensure(8);
    while (value >= 0x80) {
      this.buf[this.pos++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buf[this.pos++] = value;
    return this;
  }

  /** Zigzag + LEB128 of a safe integer. */
  int(value: number): this {
    if (!Number.isSafeInteger(value)) throw new RangeError(`cannot encode ${value} as a varint`);
    return this.uint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  /** Write a length-prefixed byte string. */
  bytes(value: Uint8Array): this {
    this.uint(value.length);
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  /**
   * Write `value` as length-prefixed bytes when it is all ASCII (one byte a character, as UTF-8 and
   * WTF-8 write it), in one pass with no intermediate array; else write nothing and return false.
   */
  ascii(value: string): boolean {
    const start = this.pos;
    const n = value.length;
    this.uint(n);
    this.ensure(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c >= 0x80) {
        this.pos = start;
        return false;
      }
      buf[p++] = c;
    }
    this.pos = p;
    return true;
  }

  /** Write a string as length-prefixed UTF-8. */
  string(value: string): this {
    return this.bytes(textEncoder.encode(value));
  }

  /** Append bytes as they are, no length prefix (a bit stream whose reader knows where it ends). */
  raw(value: Uint8Array): this {
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** The bytes written, in a buffer of exactly that length. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** Cursor over encoded bytes; every read checks bounds and throws DecodeError. */
export class Decoder {
  private pos = 0;

  /** Read `buf` from its start. Throws DecodeError when it is not a Uint8Array. */
  constructor(private readonly buf: Uint8Array) {
    if (!(buf instanceof Uint8Array)) throw new DecodeError('input is not a Uint8Array', 0);
  }

  /** Bytes consumed so far. */
  get offset(): number {
    return this.pos;
  }

  /** Bytes not yet consumed. */
  get remaining(): number {
    return this.buf.length - this.pos;
  }

  /** Throw a DecodeError with `message` at the current offset. */
  fail(message: string): never {
    throw new DecodeError(message, this.pos);
  }

  /** Read and check the header; returns nothing, throws if magic, version or tag differ. */
  header(expected: TypeTag): void {
    if (this.remaining < 4) this.fail('input too short for a header');
    if (this.buf[this.pos] !== MAGIC_0 || this.buf[this.pos + 1] !== MAGIC_1) this.fail('bad magic bytes');
    this.pos += 2;
    const version = this.buf[this.pos++];
    if (version !== FORMAT_VERSION) this.fail(`unsupported format version ${version}`);
    const tag = this.uint();
    if (tag !== expected) this.fail(`expected type tag ${expected}, found ${tag}`);
  }

  /** Read the one-byte header of a format 2 value; throws unless it is `expected`'s. */
  compactHeader(expected: TypeTag): void {
    const b = this.byte();
    if (b !== (COMPACT_HEADER | expected)) this.fail(`expected the compact header of type ${expected}`);
  }

  /**
   * A bit reader over the rest of the input; `endBits` moves this decoder past what it read.
   * @internal
   */
  bits(): BitReader {
    return new BitReader(this.buf, this.pos, this.buf.length, (message) => this.fail(message));
  }

  /**
   * Continue after a bit stream, which ends at a byte boundary with zero padding.
   * @internal
   */
  endBits(reader: BitReader): void {
    if (!reader.paddingIsZero()) this.fail('bit stream padding is not zero');
    this.pos = reader.endOffset;
  }

  /** Read one byte. */
  byte(): number {
    if (this.pos >= this.buf.length) this.fail('unexpected end of input');
    return this.buf[this.pos++] as number;
  }

  /** Read an unsigned LEB128 varint; rejects overlong, non-canonical and unsafe ones. */
  uint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      if (i >= 8) this.fail('varint too long');
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (i > 0 && b === 0) this.fail('non-canonical varint');
        break;
      }
      scale *= 0x80;
    }
    if (!Number.isSafeInteger(result)) this.fail('varint exceeds the safe integer range');
    return result;
  }

  /** Read a zigzag LEB128 varint (written by `Encoder.int`). */
  int(): number {
    const z = this.uint();
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
  }

  /**
   * A length or count that is about to size an allocation or loop. Each element needs at least
   * `minBytesPerItem` bytes of input, so a count that the remaining input cannot hold is rejected.
   */
  count(minBytesPerItem = 1): number {
    const n = this.uint();
    if (n * minBytesPerItem > this.remaining) this.fail(`count ${n} exceeds the remaining input`);
    return n;
  }

  /** Read a length-prefixed byte string (a copy). */
  bytes(): Uint8Array {
    const n = this.count(1);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Read a length-prefixed byte string as a view into the input (no copy: it shares the input's buffer). */
  bytesView(): Uint8Array {
    const n = this.count(1);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Read a length-prefixed UTF-8 string; rejects invalid UTF-8. */
  string(): string {
    const start = this.pos;
    const raw = this.bytes();
    try {
      return textDecoder.decode(raw);
    } catch {
      throw new DecodeError('invalid UTF-8 in string', start);
    }
  }

  /** Throw unless every byte was consumed: trailing garbage means corruption. */
  end(): void {
    if (this.pos !== this.buf.length) this.fail(`${this.buf.length - this.pos} trailing bytes`);
  }
}

/** Whether `bytes` is a format 2 value (compact header) of type `tag`. */
export function isCompact(bytes: Uint8Array, tag: TypeTag): boolean {
  return bytes instanceof Uint8Array && bytes[0] === (COMPACT_HEADER | tag);
}

/**
 * Run a decoding function, turning any stray error (e.g. a validation throw) into a DecodeError.
 * `header` reads the format 1 header unless told to read the compact one.
 */
export function decodeWith<T>(
  bytes: Uint8Array,
  tag: TypeTag,
  body: (d: Decoder) => T,
  header: 'format-1' | 'compact' = 'format-1',
): T {
  const d = new Decoder(bytes);
  try {
    if (header === 'compact') d.compactHeader(tag);
    else d.header(tag);
    const value = body(d);
    d.end();
    return value;
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    throw new DecodeError(error instanceof Error ? error.message : String(error), d.offset);
  }
}
