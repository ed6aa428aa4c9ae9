/**
 * Integers as a Huffman symbol plus raw extra bits, the way DEFLATE codes lengths and distances:
 * 0 … 15 are symbols of their own; above that each power of two is split into two buckets, the
 * symbol names the bucket and the extra bits the offset in it. Small values (the common ones) cost
 * the symbol only; a large value costs about as many bits as it has, so no value is ever expensive.
 * Every safe integer has a bucket: symbols 0 … BUCKET_SYMBOLS - 1.
 */

/** Values below this are symbols of their own. */
export const DIRECT = 16;
/** Symbols needed for any safe integer (2^52 ≤ v < 2^53 is the top bucket pair). */
export const BUCKET_SYMBOLS = DIRECT + 2 * (53 - 4);

/** Bit length minus one: floor(log2(value)) for value ≥ 1. */
function log2(value: number): number {
  if (value < 0x80000000) return 31 - Math.clz32(value);
  return 63 - Math.clz32(Math.floor(value / 0x100000000));
}

/** The bucket symbol of a non-negative safe integer. */
export function bucketOf(value: number): number {
  if (value < DIRECT) return value;
  if (value < 0x80000000) {
    const bits = 31 - Math.clz32(value);
    return DIRECT + 2 * (bits - 4) + ((value >>> (bits - 1)) & 1);
  }
  const bits = log2(value);
  const half = Math.floor(value / 2 ** (bits - 1)) & 1;
  return DIRECT + 2 * (bits - 4) + half;
}

/** Extra bits after bucket `symbol` (≥ DIRECT). */
export function extraBitsOf(symbol: number): number {
  return ((symbol - DIRECT) >> 1) + 3;
}

/** Smallest value in bucket `symbol` (≥ DIRECT). */
export function bucketBase(symbol: number): number {
  const bits = ((symbol - DIRECT) >> 1) + 4;
  if (bits < 30) return (2 | (symbol & 1)) << (bits - 1);
  return 2 ** bits + (symbol & 1) * 2 ** (bits - 1);
}
