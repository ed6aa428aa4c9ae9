import type { Decoder, Encoder } from './encoding.ts';
import { readSafeInteger, writeSafeInteger } from './safe-integer.ts';

/**
 * How a register or set handles its values T: identity, order and binary form.
 *
 * - `key(value)` is the value's identity: equal keys ⇔ equal values. It also orders values
 *   deterministically (plain string comparison of keys) and must throw a TypeError for a value that
 *   is not a T, which is how mutators reject bad input.
 * - `write` must emit at least one byte (decoders size their checks on that).
 * - `read` throws a DecodeError (via `d.fail`) for bytes that are not a T.
 */
export interface ValueCodec<T> {
  /** The value's identity and sort key; throws a TypeError for a value that is not a T. */
  key(value: T): string;
  /** Append the value's binary form (at least one byte). */
  write(e: Encoder, value: T): void;
  /** Read a value `write` wrote; throws DecodeError (via `d.fail`) for anything else. */
  read(d: Decoder): T;
}

/** Strings, as UTF-8; the key is the string itself. */
export const stringCodec: ValueCodec<string> = {
  key(value) {
    if (typeof value !== 'string') throw new TypeError(`expected a string value, got ${typeof value}`);
    return value;
  },
  write: (e, value) => e.string(value),
  read: (d) => d.string(),
};

/** Safe integers (sign byte + magnitude varint). Keys are decimal strings, so the value order is by key, not by size. */
export const integerCodec: ValueCodec<number> = {
  key(value) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      throw new TypeError(`expected a safe integer value, got ${String(value)}`);
    }
    return String(value);
  },
  write: writeSafeInteger,
  read: readSafeInteger,
};
