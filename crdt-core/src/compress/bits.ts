/**
 * Bit-level I/O for the entropy-coded streams: bits are packed least significant first, as DEFLATE
 * packs them, so a Huffman decoder can index a table with the next bits of the stream directly.
 */

/**
 * Appends bit fields to a growing byte buffer. Like the reader, its state is public so a hot loop
 * can `reserve` room for everything it will write, then write bits inline from locals (see the
 * token loops in int-stream.ts and text-stream.ts) and store the state back.
 */
export class BitWriter {
  out: Uint8Array;
  pos = 0;
  /** Bits not yet written out (fewer than 8 between calls), least significant first. */
  acc = 0;
  count = 0;

  constructor(capacity = 256) {
    this.out = new Uint8Array(capacity);
  }

  /** Make room for `bytes` more bytes. */
  reserve(bytes: number): void {
    if (this.pos + bytes + 4 <= this.out.length) return;
    const next = new Uint8Array(Math.max(this.out.length * 2, this.pos + bytes + 8));
    next.set(this.out.subarray(0, this.pos));
    this.out = next;
  }

  /** Write the low `bits` bits of `value` (0 ≤ bits ≤ 24, 0 ≤ value < 2^bits). */
  write(value: number, bits: number): void {
    this.acc |= value << this.count;
    this.count += bits;
    if (this.count < 8) return;
    this.reserve(4);
    const out = this.out;
    while (this.count >= 8) {
      out[this.pos++] = this.acc & 0xff;
      this.acc >>>= 8;
      this.count -= 8;
    }
  }

  /** Write the low `bits` bits of a non-negative safe integer (bits ≤ 53). */
  writeLong(value: number, bits: number): void {
    if (bits <= 24) {
      this.write(value, bits);
      return;
    }
    this.write(value % 0x1000000, 24);
    this.writeLong(Math.floor(value / 0x1000000), bits - 24);
  }

  /** The bytes written, the last one padded with zero bits. */
  finish(): Uint8Array {
    if (this.count > 0) {
      this.reserve(1);
      this.out[this.pos++] = this.acc & 0xff;
      this.acc = 0;
      this.count = 0;
    }
    return this.out.subarray(0, this.pos);
  }
}

/** Why a table lookup failed: no code starts with the bits (length 31), or the bits ran out. */
export function codeFailure(length: number): string {
  return length === 31 ? 'invalid Huffman code' : 'bit stream ends early';
}

/**
 * Reads bit fields from `buf[pos, end)`. Reading past `end` is an error the caller reports (the
 * reader itself throws whatever `fail` throws), so corrupt streams cannot read beyond their bytes.
 *
 * The state is public so a hot decoding loop can copy it into local variables, read bits inline
 * and store it back (see `refill`): a method call per symbol is most of the cost of a cold decode.
 * `acc` holds `count` bits, never more than 24, so it stays a small non-negative integer.
 */
export class BitReader {
  acc = 0;
  count = 0;

  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
    readonly fail: (message: string) => never,
  ) {}

  /** Make at least 17 bits available, or every bit left (the inline loops do the same). */
  private refill(): void {
    while (this.count <= 16 && this.pos < this.end) {
      this.acc |= (this.buf[this.pos++] as number) << this.count;
      this.count += 8;
    }
  }

  /** Read `bits` bits (0 ≤ bits ≤ 16) as an unsigned number. */
  read(bits: number): number {
    if (this.count < bits) {
      this.refill();
      if (this.count < bits) this.fail('bit stream ends early');
    }
    const value = this.acc & ((1 << bits) - 1);
    this.acc >>>= bits;
    this.count -= bits;
    return value;
  }

  /** Read `bits` bits (bits ≤ 53) as an unsigned number. */
  readLong(bits: number): number {
    if (bits <= 16) return this.read(bits);
    const low = this.read(16);
    return low + this.readLong(bits - 16) * 0x10000;
  }

  /**
   * Decode one symbol with a table from `decodeTable` (entries `symbol << 5 | length`; length 31
   * for a bit pattern no code starts with) indexed by the next `tableBits` (≤ 16) bits.
   */
  symbol(table: Int32Array, tableBits: number): number {
    if (this.count < tableBits) this.refill();
    const entry = table[this.acc & ((1 << tableBits) - 1)] as number;
    const length = entry & 31;
    if (length > this.count) this.fail(codeFailure(length));
    this.acc >>>= length;
    this.count -= length;
    return entry >> 5;
  }

  /** Offset of the first byte not (even partly) consumed: the stream ends at a byte boundary. */
  get endOffset(): number {
    return this.pos - (this.count >> 3);
  }

  /** Whether every bit left in the last consumed byte is zero, as a writer pads it. */
  paddingIsZero(): boolean {
    return (this.acc & ((1 << (this.count & 7)) - 1)) === 0;
  }
}
