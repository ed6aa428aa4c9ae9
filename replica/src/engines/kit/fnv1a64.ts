/**
 * FNV-1a, 64-bit, over bytes. Platform-neutral (no node:crypto) and exact: the 64-bit state is kept
 * in four 16-bit limbs so every product stays far below 2^53.
 *
 * Not a cryptographic hash: it detects accidental change (every single-byte change alters the result,
 * because each step is a bijection of the state) and makes compact digests, nothing more.
 */

// Offset basis 0xcbf29ce484222325 and prime 0x100000001b3 = 2^40 + 0x1b3, as 16-bit limbs (low first).
const OFFSET_LIMBS = [0x2325, 0x8422, 0x9ce4, 0xcbf2] as const;
const PRIME_LOW = 0x1b3;

/** The hash as 16 lowercase hex digits. */
export function fnv1a64Hex(bytes: Uint8Array): string {
  const [h0, h1, h2, h3] = fnv1a64Limbs(bytes);
  return hex16(h3) + hex16(h2) + hex16(h1) + hex16(h0);
}

/** The hash as 8 bytes, big-endian. */
export function fnv1a64Bytes(bytes: Uint8Array): Uint8Array {
  const [h0, h1, h2, h3] = fnv1a64Limbs(bytes);
  return new Uint8Array([h3 >>> 8, h3 & 0xff, h2 >>> 8, h2 & 0xff, h1 >>> 8, h1 & 0xff, h0 >>> 8, h0 & 0xff]);
}

function fnv1a64Limbs(bytes: Uint8Array): [number, number, number, number] {
  let [h0, h1, h2, h3] = OFFSET_LIMBS as readonly number[] as [number, number, number, number];
  for (let i = 0; i < bytes.length; i++) {
    h0 ^= bytes[i] as number;
    // state * (2^40 + 0x1b3) mod 2^64: the 0x1b3 part limb by limb, the 2^40 part is a shift by
    // two limbs plus 8 bits (only h0 and h1 reach the upper limbs).
    const t0 = h0 * PRIME_LOW;
    let t1 = h1 * PRIME_LOW;
    let t2 = h2 * PRIME_LOW + (h0 << 8);
    const t3 = h3 * PRIME_LOW + (h1 << 8);
    t1 += t0 >>> 16;
    h0 = t0 & 0xffff;
    t2 += t1 >>> 16;
    h1 = t1 & 0xffff;
    h3 = (t3 + (t2 >>> 16)) & 0xffff;
    h2 = t2 & 0xffff;
  }
  return [h0, h1, h2, h3];
}

function hex16(limb: number): string {
  return limb.toString(16).padStart(4, '0');
}
