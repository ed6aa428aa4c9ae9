import type { Decoder, Encoder } from './encoding.ts';

/**
 * Argument checks for amounts and counters. Every number a CRDT stores is a safe integer, so sums
 * and comparisons are exact on every platform; anything else is refused before state changes.
 */

/** A positive safe integer, or a TypeError (not an integer) / RangeError (≤ 0 or too large). */
export function requirePositiveSafeInteger(value: number, what: string): number {
  requireSafeInteger(value, what);
  if (value <= 0) throw new RangeError(`${what} must be positive, got ${value}`);
  return value;
}

/** A non-negative safe integer. */
export function requireNonNegativeSafeInteger(value: number, what: string): number {
  requireSafeInteger(value, what);
  if (value < 0) throw new RangeError(`${what} must not be negative, got ${value}`);
  return value;
}

export function requireSafeInteger(value: number, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${what} must be an integer, got ${String(value)}`);
  }
  if (!Number.isSafeInteger(value))
    throw new RangeError(`${what} ${value} is outside the safe integer range`);
  return value;
}

/** Throw a RangeError unless `value` (usually a sum about to be committed) is a safe integer. */
export function requireSafeResult(value: number, what: string): number {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${what} would leave the safe integer range`);
  return value;
}

/**
 * The exact sum of safe integers, or NaN if it is not itself a safe integer. Float addition is only
 * exact while partial sums stay safe, so on overflow the sum is redone with BigInt: a line with
 * +MAX, +MAX, −MAX must come out as exactly MAX whatever the order of its terms.
 */
export function exactSum(values: Iterable<number>): number {
  let sum = 0;
  for (const v of values) {
    sum += v;
    if (!Number.isSafeInteger(sum)) return bigSum(values);
  }
  return sum;
}

function bigSum(values: Iterable<number>): number {
  let sum = 0n;
  for (const v of values) sum += BigInt(v);
  const result = Number(sum);
  return Number.isSafeInteger(result) && BigInt(result) === sum ? result : Number.NaN;
}

/**
 * Write any safe integer as a sign byte and a magnitude varint. (Zigzag varints only reach ±2^52,
 * and quantities may use the whole safe range.)
 */
export function writeSafeInteger(e: Encoder, value: number): void {
  e.byte(value < 0 ? 1 : 0).uint(Math.abs(value));
}

export function readSafeInteger(d: Decoder): number {
  const sign = d.byte();
  if (sign > 1) d.fail(`bad sign byte ${sign}`);
  const magnitude = d.uint();
  if (sign === 1 && magnitude === 0) d.fail('negative zero');
  return sign === 1 ? -magnitude : magnitude;
}
