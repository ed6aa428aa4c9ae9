/**
 * FNV-1a, 64-bit, over bytes. Platform-neutral (no node:crypto) and exact: the 64-bit state is kept as
 * two 32-bit halves in int32 arithmetic (Math.imul, shifts), every intermediate a small integer.
 *
 * Not a cryptographic hash: it detects accidental change (every single-byte change alters the result,
 * because each step is a bijection of the state) and makes compact digests, nothing more.
 */

// Offset basis 0xcbf29ce484222325 and prime 0x100000001b3 = 2^40 + 0x1b3.
const OFFSET_HIGH = 0xcbf29ce4 | 0;
const OFFSET_LOW = 0x84222325 | 0;
const PRIME_LOW = 0x1b3;

/** The hash as 16 lowercase hex digits. */
export function fnv1a64Hex(bytes: Uint8Array): string {
  const out = fnv1a64Bytes(bytes);
  let hex = '';
  for (let i = 0; i < out.length; i++) hex += ((out[i] as number) | 0x100).toString(16).slice(1);
  return hex;
}

/** The hash as 8 bytes, big-endian. */
export function fnv1a64Bytes(bytes: Uint8Array): Uint8Array {
  // Compaction hashes a whole snapshot (the converge engine's `save`): this loop was 2/3 of it with four
  // 16-bit limbs; two int32 halves take about half the operations a byte.
  let high = OFFSET_HIGH;
  let low = OFFSET_LOW;
  for (let i = 0; i < bytes.length; i++) {
    low ^= bytes[i] as number;
    // state * (2^40 + 0x1b3) mod 2^64. low * 0x1b3: its low half by Math.imul, its high half (the carry
    // into the high half) from 16-bit pieces, each product < 2^26; the 2^40 part adds low << 8 there.
    const carry = ((low >>> 16) * PRIME_LOW + (((low & 0xffff) * PRIME_LOW) >>> 16)) >>> 16;
    high = (Math.imul(high, PRIME_LOW) + carry + (low << 8)) | 0;
    low = Math.imul(low, PRIME_LOW);
  }
  const out = new Uint8Array(8);
  out[0] = high >>> 24;
  out[1] = high >>> 16;
  out[2] = high >>> 8;
  out[3] = high;
  out[4] = low >>> 24;
  out[5] = low >>> 16;
  out[6] = low >>> 8;
  out[7] = low;
  return out;
}
